/**
 * Webhooks (issue 15): a tenant's endpoints — create and edit (URL, description, events),
 * enable/disable, rotate the secret (shown once, with copy, as at creation), delete with
 * confirmation, "Send test event" with its result, and each endpoint's delivery log (state,
 * status, latency, attempts).
 */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import { tenant } from '../../app/session';
import { ConfirmDialog, copyText, DataTable, defaultTenant, FormDialog, orgFilter, PageHeader, TenantChoice, tenantName, usePaged, useSubmit, type Column } from '../kit/kit';
import { kitText } from '../kit/messages';
import { changes, eventLabel, formErrors, lastAnswer, stateBadge, SUBSCRIBABLE, testResult, toggleEvent, type Delivery, type Endpoint, type EndpointForm } from './logic';
import { webhooksText as t } from './messages';

type WithSecret = Schemas['WebhookWithSecret'];

const when = (at: string) => formatDateTime(at, { dateStyle: 'short', timeStyle: 'medium' });

function EndpointDialog({ endpoint, onDone, onClose }: { endpoint?: Endpoint; onDone: (made?: WithSecret) => void; onClose: () => void }): JSX.Element {
  const [form, setForm] = useState<EndpointForm>({
    url: endpoint?.url ?? '',
    description: endpoint?.description ?? '',
    enabled: endpoint?.enabled ?? true,
    events: endpoint ? SUBSCRIBABLE.filter((e) => endpoint.events.includes(e)) : ['message.received'],
  });
  const [org, setOrg] = useState(defaultTenant());
  const s = useSubmit(['url', 'description', 'events', 'org']);
  const submit = async () => {
    const errors = formErrors(form);
    if (!endpoint && !org) errors.org = kitText.t('tenantRequired');
    if (Object.keys(errors).length) return s.setErrors(errors);
    let made: WithSecret | undefined;
    const ok = await s.run(async () => {
      if (endpoint) {
        await call(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id: endpoint.id } }, body: changes(endpoint, form) }));
      } else {
        made = await call(api.POST('/api/v1/webhooks', { body: { ...form, url: form.url.trim(), org } }));
      }
    });
    if (ok) {
      onClose();
      onDone(made);
    }
  };
  return (
    <FormDialog id="webhook-form" title={endpoint ? t.t('editTitle') : t.t('addTitle')} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      {endpoint ? null : <TenantChoice value={org} onChange={setOrg} error={s.errors.org} />}
      <TextField label={t.t('url')} hint={t.t('urlHint')} type="url" inputMode="url" value={form.url} error={s.errors.url} onInput={(e) => setForm({ ...form, url: e.currentTarget.value })} autoComplete="off" />
      <TextField label={t.t('description')} hint={t.t('descriptionHint')} value={form.description} error={s.errors.description} onInput={(e) => setForm({ ...form, description: e.currentTarget.value })} autoComplete="off" />
      <fieldset class="checks webhook-events" aria-describedby={s.errors.events ? 'webhook-events-error' : undefined}>
        <legend>{t.t('events')}</legend>
        {SUBSCRIBABLE.map((e) => (
          <label key={e} class="check">
            <input type="checkbox" name="events" value={e} checked={form.events.includes(e)} onChange={(ev) => setForm({ ...form, events: toggleEvent(form.events, e, ev.currentTarget.checked) })} />
            <span>{eventLabel(e)} <span class="muted mono">{e}</span></span>
          </label>
        ))}
        {s.errors.events ? <p class="form-error" id="webhook-events-error" role="alert">{s.errors.events}</p> : null}
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.currentTarget.checked })} />
        <span>{t.t('enabledField')}</span>
      </label>
    </FormDialog>
  );
}

function SecretDialog({ shown, onClose }: { shown: WithSecret; onClose: () => void }): JSX.Element {
  return (
    <Dialog open title={t.t('secretTitle')} onClose={onClose} footer={<Button variant="primary" onClick={onClose}>{common.t('actions.close')}</Button>}>
      <p class="webhook-url" data-testid="webhook-url">{shown.endpoint.url}</p>
      <p class="notice">{t.t('shownOnce')}</p>
      <h3>{t.t('secret')}</h3>
      <div class="secret">
        <code data-testid="webhook-secret">{shown.secret}</code>
        <IconButton icon="copy" label={t.t('copy')} onClick={() => void copyText(shown.secret)} />
      </div>
    </Dialog>
  );
}

function DeliveryLog({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }): JSX.Element {
  const list = usePaged((cursor) => call(api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id: endpoint.id }, query: { cursor, limit: 50 } } })), [endpoint.id]);
  const columns: Column<Delivery>[] = [
    { label: t.t('at'), cell: (d) => <time dateTime={d.created_at}>{when(d.created_at)}</time> },
    { label: t.t('event'), cell: (d) => eventLabel(d.event_type) },
    { label: t.t('state'), cell: (d) => <span class={`badge ${stateBadge(d.state)}`} data-state={d.state}>{t.t(`deliveryState.${d.state}`)}</span> },
    { label: t.t('status'), cell: (d) => <span class="mono" data-testid="delivery-status">{lastAnswer(d)}</span> },
    { label: t.t('latency'), cell: (d) => (d.last_latency_ms != null ? t.t('ms', { ms: String(d.last_latency_ms) }) : '—'), wide: true },
    { label: t.t('attempts'), cell: (d) => String(d.attempts) },
    { label: t.t('next'), cell: (d) => (d.next_attempt_at ? <time dateTime={d.next_attempt_at}>{when(d.next_attempt_at)}</time> : '—'), wide: true },
  ];
  return (
    <Dialog open wide title={t.t('logTitle')} onClose={onClose} footer={<>
      <Button icon="refresh" onClick={list.reload}>{t.t('refresh')}</Button>
      <Button variant="primary" onClick={onClose}>{common.t('actions.close')}</Button>
    </>}>
      <p class="webhook-url" data-testid="webhook-url">{endpoint.url}</p>
      <DataTable label={t.t('logLabel')} columns={columns} rows={list.items} rowId={(d) => d.id} rowData={(d) => ({ state: d.state, event: d.event_type })} list={list} empty={t.t('logEmpty')} testId="delivery-log" />
    </Dialog>
  );
}

type Open =
  | { kind: 'add' }
  | { kind: 'edit'; e: Endpoint }
  | { kind: 'rotate'; e: Endpoint }
  | { kind: 'delete'; e: Endpoint }
  | { kind: 'log'; e: Endpoint };

export function Webhooks(): JSX.Element {
  const [open, setOpen] = useState<Open | undefined>(undefined);
  // The secret just made (creation, rotation): its own state, as the dialog that made it closes itself.
  const [shown, setShown] = useState<WithSecret | undefined>(undefined);
  const [testing, setTesting] = useState<string | undefined>(undefined);
  const ctx = tenant.value;
  const list = usePaged(async () => ({ items: await call(api.GET('/api/v1/webhooks', { params: { query: orgFilter() } })) }), [ctx]);
  const close = () => setOpen(undefined);
  const setEnabled = async (e: Endpoint, enabled: boolean) => {
    try {
      await call(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id: e.id } }, body: { enabled } }));
      toast(enabled ? t.t('nowEnabled') : t.t('nowDisabled'), 'success');
      list.reload();
    } catch (err) {
      toast(String((err as Error).message ?? err), 'error');
    }
  };
  const sendTest = async (e: Endpoint) => {
    setTesting(e.id);
    try {
      const d = await call(api.POST('/api/v1/webhooks/{id}/test', { params: { path: { id: e.id } } }));
      const r = testResult(d);
      toast(r.text, r.ok ? 'success' : 'error');
    } catch (err) {
      toast(String((err as Error).message ?? err), 'error');
    } finally {
      setTesting(undefined);
    }
  };
  const columns: Column<Endpoint>[] = [
    { label: t.t('url'), cell: (e) => <span class="webhook-url">{e.url}</span> },
    { label: t.t('description'), cell: (e) => e.description, wide: true },
    { label: t.t('events'), cell: (e) => <span title={e.events.map(eventLabel).join(', ')}>{e.events.length === 1 && e.events[0] ? eventLabel(e.events[0]) : t.t('eventsCount', { count: String(e.events.length) })}</span>, wide: true },
    { label: t.t('state'), cell: (e) => (e.enabled ? <span class="badge badge-success" data-state="enabled">{t.t('enabled')}</span> : <span class="badge badge-warning" data-state="disabled">{t.t('disabled')}</span>) },
  ];
  if (!ctx) columns.splice(1, 0, { label: t.t('tenant'), cell: (e) => tenantName(e.org_id), wide: true });
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')}>
        <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'add' })}>{t.t('add')}</Button>
      </PageHeader>
      <DataTable
        label={t.t('label')}
        columns={columns}
        rows={list.items}
        rowId={(e) => e.id}
        list={list}
        empty={t.t('empty')}
        testId="webhooks"
        actions={(e) => (
          <div class="webhook-actions">
            <IconButton icon="send" label={t.t('testOne', { url: e.url })} disabled={testing === e.id} onClick={() => void sendTest(e)} />
            <IconButton icon="list" label={t.t('logOne', { url: e.url })} onClick={() => setOpen({ kind: 'log', e })} />
            <IconButton icon="edit" label={t.t('editOne', { url: e.url })} onClick={() => setOpen({ kind: 'edit', e })} />
            <IconButton icon={e.enabled ? 'pause' : 'check'} label={e.enabled ? t.t('disableOne', { url: e.url }) : t.t('enableOne', { url: e.url })} onClick={() => void setEnabled(e, !e.enabled)} />
            <IconButton icon="key" label={t.t('rotateOne', { url: e.url })} onClick={() => setOpen({ kind: 'rotate', e })} />
            <IconButton icon="trash" label={t.t('deleteOne', { url: e.url })} onClick={() => setOpen({ kind: 'delete', e })} />
          </div>
        )}
      />
      {open?.kind === 'add' || open?.kind === 'edit' ? (
        <EndpointDialog
          {...(open.kind === 'edit' ? { endpoint: open.e } : {})}
          onDone={(made) => {
            list.reload();
            if (made) setShown(made);
          }}
          onClose={close}
        />
      ) : null}
      {shown ? <SecretDialog shown={shown} onClose={() => setShown(undefined)} /> : null}
      {open?.kind === 'log' ? <DeliveryLog endpoint={open.e} onClose={close} /> : null}
      {open?.kind === 'rotate' ? (
        <ConfirmDialog
          text={t.t('rotateConfirm', { url: open.e.url })}
          confirm={t.t('rotate')}
          onConfirm={async () => {
            const made = await call(api.POST('/api/v1/webhooks/{id}/rotate-secret', { params: { path: { id: open.e.id } } }));
            list.reload();
            setShown(made);
          }}
          onClose={close}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          danger
          text={t.t('deleteConfirm', { url: open.e.url })}
          confirm={kitText.t('delete')}
          onConfirm={async () => {
            await call(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: open.e.id } } }));
            toast(t.t('deleted'), 'success');
            list.reload();
          }}
          onClose={close}
        />
      ) : null}
    </div>
  );
}
