import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type MessageRow } from '../../api/box';
import { app, msgStateWords } from '../../app/messages';
import { spoolMsg } from './messages';
import { Details } from './Details';
import { detailMsg } from './details';
import { Upload } from './Upload';

const STATES = ['queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'blocked', 'unknown', 'cancelled', 'no_report'];
const DEFAULT = 'queued,sending,unknown,failed';

type Pending = { kind: 'requeue' | 'cancel'; m: MessageRow };

export function Spool(): JSX.Element {
  const [state, setState] = useState(DEFAULT);
  const [q, setQ] = useState('');
  const [rows, setRows] = useState<MessageRow[] | undefined>();
  const [next, setNext] = useState<number | null | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState<Pending | undefined>();
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<number | undefined>();
  const load = async (before?: number) => {
    try {
      const query = { limit: 100, ...(state ? { state } : {}), ...(q.trim() ? { q: q.trim() } : {}), ...(before ? { before } : {}) };
      const r = await call(api.GET('/api/v1/box/messages', { params: { query } }));
      setRows(before ? [...(rows ?? []), ...r.messages] : r.messages);
      setNext(r.next);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    const t = setTimeout(() => void load(), 250);
    return () => clearTimeout(t);
  }, [state, q]);
  const act = async () => {
    if (!pending) return;
    setBusy(true);
    const { kind, m } = pending;
    try {
      if (kind === 'requeue') {
        await call(api.POST('/api/v1/messages/{id}/requeue', { params: { path: { id: m.id } } }));
        toast(spoolMsg.t('requeued', { id: m.id }), 'success');
      } else {
        await call(api.POST('/api/v1/messages/{id}/cancel', { params: { path: { id: m.id } } }));
        toast(spoolMsg.t('cancelled', { id: m.id }), 'success');
      }
      await load();
    } catch (e) {
      toast((e as Error).message, 'error');
    } finally {
      setBusy(false);
      setPending(undefined);
    }
  };
  return (
    <div class="page">
      <h1>{spoolMsg.t('title')}</h1>
      <div class="filters">
        <SelectField label={spoolMsg.t('state')} value={state} onChange={(e) => setState(e.currentTarget.value)}>
          <option value={DEFAULT}>{spoolMsg.t('allStates')}</option>
          <option value="">{spoolMsg.t('everyState')}</option>
          {STATES.map((s) => <option key={s} value={s}>{msgStateWords(s)}</option>)}
        </SelectField>
        <TextField label={spoolMsg.t('search')} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
      </div>
      {error ? <p role="alert" class="form-error">{error}</p> : null}
      {rows === undefined ? (
        <p aria-busy="true">{common.t('state.loading')}</p>
      ) : rows.length === 0 ? (
        <p>{spoolMsg.t('empty')}</p>
      ) : (
        <TableScroll label={spoolMsg.t('title')}>
          <table class="grid" aria-label={spoolMsg.t('title')}>
            <thead>
              <tr>
                <th scope="col">{spoolMsg.t('col.id')}</th>
                <th scope="col">{spoolMsg.t('col.to')}</th>
                <th scope="col">{spoolMsg.t('col.text')}</th>
                <th scope="col">{spoolMsg.t('col.state')}</th>
                <th scope="col">{spoolMsg.t('col.port')}</th>
                <th scope="col">{spoolMsg.t('col.updated')}</th>
                <th scope="col">{spoolMsg.t('col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.id} data-message={m.id}>
                  <td>{m.id}</td>
                  <td class="mono">{m.to}</td>
                  <td class="wrap-any">{m.text.length > 80 ? `${m.text.slice(0, 80)}…` : m.text}{m.error ? <div class="muted">{m.error}</div> : null}</td>
                  <td><span class={`state state-${m.state}`}>{msgStateWords(m.state)}</span></td>
                  <td>{m.port ?? app.t('none')}</td>
                  <td>{formatDateTime(m.updated_at)}</td>
                  <td class="actions-cell">
                    <Button onClick={() => setShown(m.id)} aria-label={`${detailMsg.t('open')} #${m.id}`}>{detailMsg.t('open')}</Button>
                    {m.state === 'unknown' || m.state === 'failed' ? <Button onClick={() => setPending({ kind: 'requeue', m })}>{spoolMsg.t('requeue')}</Button> : null}
                    {m.state === 'queued' ? <Button variant="danger" onClick={() => setPending({ kind: 'cancel', m })}>{spoolMsg.t('cancel')}</Button> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {next ? <div class="actions"><Button onClick={() => void load(next)}>{spoolMsg.t('more')}</Button></div> : null}
      {shown !== undefined ? <Details id={shown} onClose={() => setShown(undefined)} /> : null}
      <Upload onDone={() => void load()} />
      <Dialog
        open={!!pending}
        title={pending ? (pending.kind === 'requeue' ? spoolMsg.t('requeueTitle', { id: pending.m.id }) : spoolMsg.t('cancelTitle', { id: pending.m.id })) : ''}
        onClose={() => setPending(undefined)}
        footer={
          <>
            <Button onClick={() => setPending(undefined)}>{spoolMsg.t('keep')}</Button>
            <Button variant={pending?.kind === 'cancel' ? 'danger' : 'primary'} busy={busy} onClick={() => void act()}>
              {pending?.kind === 'cancel' ? spoolMsg.t('cancel') : spoolMsg.t('requeue')}
            </Button>
          </>
        }
      >
        <p>{pending?.kind === 'cancel' ? spoolMsg.t('cancelText') : pending?.m.state === 'unknown' ? spoolMsg.t('requeueUnknown') : spoolMsg.t('requeueFailed')}</p>
      </Dialog>
    </div>
  );
}
