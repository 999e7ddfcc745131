/** Contact lists: add, rename, delete; a list's members with CSV import and removal. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { formatNumber } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, call, type Contact, type Schemas } from '../../api/hub';
import { can, tenant } from '../../app/session';
import { ConfirmDialog, DataTable, defaultTenant, errorText, FormDialog, orgFilter, SearchBox, TenantChoice, tenantName, usePaged, useSubmit, type Column } from '../kit/kit';
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { ImportDialog } from './ContactDialogs';
import { ExportButton } from './ExportButton';
import { contactsText as t } from './messages';

type ContactList = Schemas['ContactList'];

function ListDialog({ list, onDone, onClose }: { list?: ContactList; onDone: () => void; onClose: () => void }): JSX.Element {
  const [name, setName] = useState(list?.name ?? '');
  const [description, setDescription] = useState(list?.description ?? '');
  const [org, setOrg] = useState(list?.org_id ?? defaultTenant());
  const s = useSubmit(['name', 'description', 'org']);
  const submit = async () => {
    if (!name.trim()) return s.setErrors({ name: kitText.t('required') });
    if (!list && !org) return s.setErrors({ org: kitText.t('tenantRequired') });
    const ok = await s.run(async () => {
      if (list) await call(api.PATCH('/api/v1/contact-lists/{id}', { params: { path: { id: list.id } }, body: { name, description } }));
      else await call(api.POST('/api/v1/contact-lists', { body: { name, description, org } }));
    });
    if (ok) {
      toast(list ? kitText.t('saved') : t.t('lists.created'), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="list-form" title={list ? t.t('lists.editTitle') : t.t('lists.addTitle')} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      {list ? null : <TenantChoice value={org} onChange={setOrg} error={s.errors.org} />}
      <TextField label={t.t('lists.name')} value={name} error={s.errors.name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
      <TextField label={t.t('lists.description')} value={description} error={s.errors.description} onInput={(e) => setDescription(e.currentTarget.value)} autoComplete="off" />
    </FormDialog>
  );
}

export function Lists(): JSX.Element {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<{ kind: 'add' } | { kind: 'edit' | 'delete'; list: ContactList } | undefined>(undefined);
  const ctx = tenant.value;
  const list = usePaged((cursor) => call(api.GET('/api/v1/contact-lists', { params: { query: { q: q || undefined, cursor, limit: 100, ...orgFilter() } } })), [q, ctx], SCREEN_LISTS.contactLists);
  const manage = can('manageContacts');
  const columns: Column<ContactList>[] = [
    { label: t.t('lists.name'), cell: (l) => <Link href={`/contacts/lists/${l.id}`} aria-label={t.t('lists.open', { name: l.name })}>{l.name}</Link> },
    { label: t.t('lists.description'), cell: (l) => l.description, wide: true },
    { label: t.t('lists.members'), cell: (l) => formatNumber(l.members ?? 0) },
  ];
  if (!ctx) columns.push({ label: t.t('table.tenant'), cell: (l) => tenantName(l.org_id), wide: true });
  const close = () => setOpen(undefined);
  return (
    <>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={kitText.t('search')} />
        {manage ? <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'add' })}>{t.t('lists.add')}</Button> : null}
      </div>
      <DataTable
        label={t.t('lists.label')}
        columns={columns}
        rows={list.items}
        rowId={(l) => l.id}
        list={list}
        actions={manage ? (l) => (
          <>
            <IconButton icon="edit" label={t.t('lists.editOne', { name: l.name })} onClick={() => setOpen({ kind: 'edit', list: l })} />
            <IconButton icon="trash" label={t.t('lists.deleteOne', { name: l.name })} onClick={() => setOpen({ kind: 'delete', list: l })} />
          </>
        ) : undefined}
      />
      {open?.kind === 'add' ? <ListDialog onDone={list.reload} onClose={close} /> : null}
      {open?.kind === 'edit' ? <ListDialog list={open.list} onDone={list.reload} onClose={close} /> : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          danger
          text={t.t('lists.deleteConfirm', { name: open.list.name })}
          confirm={kitText.t('delete')}
          onConfirm={async () => {
            await call(api.DELETE('/api/v1/contact-lists/{id}', { params: { path: { id: open.list.id } } }));
            toast(kitText.t('deleted'), 'success');
            list.reload();
          }}
          onClose={close}
        />
      ) : null}
    </>
  );
}

export function ListDetail({ id }: { id: string }): JSX.Element {
  const [info, setInfo] = useState<ContactList | undefined>(undefined);
  const [failed, setFailed] = useState<string | undefined>(undefined);
  const [q, setQ] = useState('');
  const [importing, setImporting] = useState(false);
  const [removing, setRemoving] = useState<Contact | undefined>(undefined);
  const loadInfo = () =>
    call(api.GET('/api/v1/contact-lists/{id}', { params: { path: { id } } }))
      .then(setInfo)
      .catch((e: unknown) => setFailed(errorText(e)));
  useEffect(() => {
    void loadInfo();
  }, [id]);
  const members = usePaged((cursor) => call(api.GET('/api/v1/contact-lists/{id}/members', { params: { path: { id }, query: { q: q || undefined, cursor, limit: 100 } } })), [id, q], SCREEN_LISTS.listMembers);
  const manage = can('manageContacts');
  const changed = () => {
    members.reload();
    void loadInfo();
  };
  const columns: Column<Contact>[] = [
    { label: t.t('table.name'), cell: (c) => c.name || <span class="muted">—</span> },
    { label: t.t('table.number'), cell: (c) => <span class="mono">{c.number}</span> },
    { label: t.t('table.business'), cell: (c) => c.business, wide: true },
    { label: t.t('table.email'), cell: (c) => c.email, wide: true },
  ];
  if (failed) return <p class="form-error" role="alert">{failed}</p>;
  return (
    <section aria-labelledby="list-title">
      <Link href="/contacts/lists">{t.t('lists.back')}</Link>
      <div class="page-header">
        <div>
          <h2 id="list-title">{info?.name ?? ''}</h2>
          {info ? <p class="muted">{info.description} · {t.t('lists.members')}: {formatNumber(info.members ?? 0)}</p> : null}
        </div>
        {manage && info ? (
          <div class="toolbar">
            <ExportButton org={info.org_id} list={info.id} />
            <Button variant="primary" icon="upload" onClick={() => setImporting(true)}>{t.t('import.button')}</Button>
          </div>
        ) : null}
      </div>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} />
      </div>
      <DataTable
        label={t.t('lists.membersLabel', { name: info?.name ?? '' })}
        columns={columns}
        rows={members.items}
        rowId={(c) => c.id}
        list={members}
        empty={t.t('lists.empty')}
        actions={manage ? (c) => <IconButton icon="close" label={t.t('lists.removeOne', { name: c.name || c.number })} onClick={() => setRemoving(c)} /> : undefined}
      />
      {importing && info ? <ImportDialog list={info} onDone={changed} onClose={() => setImporting(false)} /> : null}
      {removing ? (
        <ConfirmDialog
          text={t.t('lists.removeOne', { name: removing.name || removing.number })}
          confirm={common.t('actions.confirm')}
          onConfirm={async () => {
            await call(api.DELETE('/api/v1/contact-lists/{id}/members/{contact}', { params: { path: { id, contact: removing.id } } }));
            toast(t.t('lists.removed'), 'success');
            changed();
          }}
          onClose={() => setRemoving(undefined)}
        />
      ) : null}
    </section>
  );
}
