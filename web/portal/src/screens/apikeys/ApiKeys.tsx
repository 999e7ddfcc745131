/** API keys: create (the secret shown once, with copy), list with last use, revoke. */
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
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { apiKeysText as t } from './messages';

type ApiKey = Schemas['ApiKey'];
type NewKey = Schemas['NewApiKeyResponse'];

const when = (at: string) => formatDateTime(at, { dateStyle: 'short', timeStyle: 'short' });

function CreateDialog({ onDone, onClose }: { onDone: (k: NewKey) => void; onClose: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [org, setOrg] = useState(defaultTenant());
  const s = useSubmit(['name', 'org']);
  const submit = async () => {
    if (!name.trim()) return s.setErrors({ name: kitText.t('required') });
    if (!org) return s.setErrors({ org: kitText.t('tenantRequired') });
    let made: NewKey | undefined;
    const ok = await s.run(async () => {
      made = await call(api.POST('/api/v1/api-keys', { body: { name, org } }));
    });
    if (ok && made) {
      onClose();
      onDone(made);
    }
  };
  return (
    <FormDialog id="key-form" title={t.t('addTitle')} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      <TenantChoice value={org} onChange={setOrg} error={s.errors.org} />
      <TextField label={t.t('name')} hint={t.t('nameHint')} value={name} error={s.errors.name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
    </FormDialog>
  );
}

export function ApiKeys(): JSX.Element {
  const [open, setOpen] = useState<{ kind: 'add' } | { kind: 'made'; k: NewKey } | { kind: 'revoke'; k: ApiKey } | undefined>(undefined);
  const ctx = tenant.value;
  const list = usePaged((cursor) => call(api.GET('/api/v1/api-keys', { params: { query: { cursor, limit: 100, ...orgFilter() } } })), [ctx], SCREEN_LISTS.apiKeys);
  const columns: Column<ApiKey>[] = [
    { label: t.t('name'), cell: (k) => k.name },
    { label: t.t('prefix'), cell: (k) => <span class="mono">{k.prefix}…</span>, wide: true },
    { label: t.t('created'), cell: (k) => <time dateTime={k.created_at}>{when(k.created_at)}</time>, wide: true },
    { label: t.t('lastUsed'), cell: (k) => (k.last_used_at ? <time dateTime={k.last_used_at}>{when(k.last_used_at)}</time> : t.t('never')), wide: true },
    { label: t.t('state'), cell: (k) => (k.revoked_at ? <span class="badge badge-danger" data-state="revoked">{t.t('revoked', { date: when(k.revoked_at) })}</span> : <span class="badge badge-success" data-state="active">{t.t('active')}</span>) },
  ];
  if (!ctx) columns.splice(1, 0, { label: t.t('tenant'), cell: (k) => tenantName(k.org_id), wide: true });
  const close = () => setOpen(undefined);
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')}>
        <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'add' })}>{t.t('add')}</Button>
      </PageHeader>
      <DataTable
        label={t.t('label')}
        columns={columns}
        rows={list.items}
        rowId={(k) => k.id}
        list={list}
        empty={t.t('empty')}
        actions={(k) => (k.revoked_at ? null : <IconButton icon="block" label={t.t('revokeOne', { name: k.name })} onClick={() => setOpen({ kind: 'revoke', k })} />)}
      />
      {open?.kind === 'add' ? <CreateDialog onDone={(k) => {
        list.reload();
        setOpen({ kind: 'made', k });
      }} onClose={close} /> : null}
      {open?.kind === 'made' ? (
        <Dialog open title={t.t('madeTitle', { name: open.k.key.name })} onClose={close} footer={<Button variant="primary" onClick={close}>{common.t('actions.close')}</Button>}>
          <p class="notice">{t.t('shownOnce')}</p>
          <h3>{t.t('secret')}</h3>
          <div class="secret">
            <code data-testid="api-key-secret">{open.k.secret}</code>
            <IconButton icon="copy" label={t.t('copy')} onClick={() => void copyText(open.k.secret)} />
          </div>
        </Dialog>
      ) : null}
      {open?.kind === 'revoke' ? (
        <ConfirmDialog
          danger
          text={t.t('revokeConfirm', { name: open.k.name })}
          confirm={t.t('revoke')}
          onConfirm={async () => {
            await call(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: open.k.id } } }));
            toast(t.t('revokedDone'), 'success');
            list.reload();
          }}
          onClose={close}
        />
      ) : null}
    </div>
  );
}
