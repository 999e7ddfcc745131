/** The opt-out list: search, add by hand, remove. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import { channelById, channels, loadChannels } from '../../app/directory';
import { can, tenant } from '../../app/session';
import { ConfirmDialog, DataTable, defaultTenant, FormDialog, orgFilter, PageHeader, SearchBox, TenantChoice, tenantName, usePaged, useSubmit, type Column } from '../kit/kit';
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { optOutText as t } from './messages';

type OptOut = Schemas['OptOut'];

function AddDialog({ onDone, onClose }: { onDone: () => void; onClose: () => void }): JSX.Element {
  const [org, setOrg] = useState(defaultTenant());
  const [number, setNumber] = useState('');
  const [channel, setChannel] = useState('');
  const s = useSubmit(['number', 'channel', 'org']);
  const usable = channels.value.filter((c) => c.holder_id === org);
  const submit = async () => {
    if (!org) return s.setErrors({ org: kitText.t('tenantRequired') });
    if (!number.trim()) return s.setErrors({ number: kitText.t('required') });
    let added = '';
    const ok = await s.run(async () => {
      added = (await call(api.POST('/api/v1/opt-outs', { body: { number, org, channel: channel || null } }))).number;
    });
    if (ok) {
      toast(t.t('added', { number: added }), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="opt-out-form" title={t.t('addTitle')} submit={kitText.t('add')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      <TenantChoice value={org} onChange={setOrg} error={s.errors.org} />
      <TextField label={t.t('numberField')} hint={t.t('numberHint')} value={number} error={s.errors.number} onInput={(e) => setNumber(e.currentTarget.value)} inputMode="tel" autoComplete="off" />
      <SelectField label={t.t('channelField')} value={channel} error={s.errors.channel} onChange={(e) => setChannel(e.currentTarget.value)}>
        <option value="">{t.t('anyChannel')}</option>
        {usable.map((c) => (
          <option key={c.id} value={c.id}>{c.sim_number}</option>
        ))}
      </SelectField>
    </FormDialog>
  );
}

export function OptOuts(): JSX.Element {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<{ kind: 'add' } | { kind: 'remove'; o: OptOut } | undefined>(undefined);
  const ctx = tenant.value;
  const list = usePaged((cursor) => call(api.GET('/api/v1/opt-outs', { params: { query: { q: q || undefined, cursor, limit: 100, ...orgFilter() } } })), [q, ctx], SCREEN_LISTS.optOuts);
  useEffect(() => {
    void loadChannels().catch(() => {});
  }, []);
  const manage = can('manageOptOuts');
  const columns: Column<OptOut>[] = [
    { label: t.t('number'), cell: (o) => <span class="mono">{o.number}</span> },
    { label: t.t('source'), cell: (o) => (o.source === 'keyword' ? t.t('keyword') : t.t('manual')) },
    { label: t.t('channel'), cell: (o) => (o.channel_id ? (channelById.value.get(o.channel_id)?.sim_number ?? '') : ''), wide: true },
    { label: t.t('since'), cell: (o) => <time dateTime={o.created_at}>{formatDateTime(o.created_at, { dateStyle: 'short', timeStyle: 'short' })}</time>, wide: true },
  ];
  if (!ctx) columns.push({ label: t.t('tenant'), cell: (o) => tenantName(o.org_id), wide: true });
  const close = () => setOpen(undefined);
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')}>
        {manage ? <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'add' })}>{t.t('add')}</Button> : null}
      </PageHeader>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} />
      </div>
      <DataTable
        label={t.t('label')}
        columns={columns}
        rows={list.items}
        rowId={(o) => o.id}
        list={list}
        empty={t.t('empty')}
        actions={manage ? (o) => <IconButton icon="trash" label={t.t('removeOne', { number: o.number })} onClick={() => setOpen({ kind: 'remove', o })} /> : undefined}
      />
      {open?.kind === 'add' ? <AddDialog onDone={list.reload} onClose={close} /> : null}
      {open?.kind === 'remove' ? (
        <ConfirmDialog
          danger
          text={t.t('removeConfirm', { number: open.o.number })}
          confirm={t.t('remove')}
          onConfirm={async () => {
            await call(api.DELETE('/api/v1/opt-outs/{id}', { params: { path: { id: open.o.id } } }));
            toast(t.t('removed'), 'success');
            list.reload();
          }}
          onClose={close}
        />
      ) : null}
    </div>
  );
}
