/** Contacts (add, edit, delete, send a message, add to a list, import, export) and the lists tab. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { toast } from '@smsgate/shared/components/Toasts';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, call, type Contact } from '../../api/hub';
import { loadChannels, loadContacts } from '../../app/directory';
import type { ScreenProps } from '../../app/modules';
import { can, tenant } from '../../app/session';
import { NewMessageDialog } from '../inbox/NewMessageDialog';
import { ConfirmDialog, DataTable, orgFilter, PageHeader, SearchBox, tenantName, usePaged, type Column } from '../kit/kit';
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { AddToListDialog, ContactDialog, ImportDialog } from './ContactDialogs';
import { ExportButton } from './ExportButton';
import { ListDetail, Lists } from './Lists';
import { contactsText as t } from './messages';

function Tabs(): JSX.Element {
  const [location] = useLocation();
  const onLists = location.startsWith('/contacts/lists');
  return (
    <nav class="tabs" aria-label={t.t('tabs.label')}>
      <Link href="/contacts" class={onLists ? 'tab' : 'tab active'} aria-current={onLists ? undefined : 'page'}>{t.t('tabs.contacts')}</Link>
      <Link href="/contacts/lists" class={onLists ? 'tab active' : 'tab'} aria-current={onLists ? 'page' : undefined}>{t.t('tabs.lists')}</Link>
    </nav>
  );
}

type Open =
  | { kind: 'add' }
  | { kind: 'edit'; contact: Contact }
  | { kind: 'delete'; contact: Contact }
  | { kind: 'list'; contact: Contact }
  | { kind: 'send'; contact: Contact }
  | { kind: 'import' };

function ContactsTab(): JSX.Element {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const ctx = tenant.value;
  const list = usePaged((cursor) => call(api.GET('/api/v1/contacts', { params: { query: { q: q || undefined, cursor, limit: 100, ...orgFilter() } } })), [q, ctx], SCREEN_LISTS.contacts);
  useEffect(() => {
    void loadChannels().catch(() => {});
  }, []);
  const manage = can('manageContacts');
  const changed = () => {
    list.reload();
    void loadContacts().catch(() => {});
  };
  const columns: Column<Contact>[] = [
    { label: t.t('table.name'), cell: (c) => c.name || <span class="muted">—</span> },
    { label: t.t('table.number'), cell: (c) => <span class="mono">{c.number}</span> },
    { label: t.t('table.business'), cell: (c) => c.business, wide: true },
    { label: t.t('table.email'), cell: (c) => c.email, wide: true },
  ];
  if (!ctx) columns.push({ label: t.t('table.tenant'), cell: (c) => tenantName(c.org_id), wide: true });
  const close = () => setOpen(undefined);
  return (
    <>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} />
        {manage ? (
          <>
            <ExportButton org={ctx} />
            <Button icon="upload" onClick={() => setOpen({ kind: 'import' })}>{t.t('import.button')}</Button>
            <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'add' })}>{t.t('add')}</Button>
          </>
        ) : null}
      </div>
      <DataTable
        label={t.t('table.label')}
        columns={columns}
        rows={list.items}
        rowId={(c) => c.id}
        list={list}
        actions={(c) => {
          const name = c.name || c.number;
          return (
            <>
              {can('startConversation') ? <IconButton icon="send" label={t.t('send', { name })} onClick={() => setOpen({ kind: 'send', contact: c })} /> : null}
              {manage ? (
                <>
                  <IconButton icon="list" label={t.t('addToList', { name })} onClick={() => setOpen({ kind: 'list', contact: c })} />
                  <IconButton icon="edit" label={t.t('editOne', { name })} onClick={() => setOpen({ kind: 'edit', contact: c })} />
                  <IconButton icon="trash" label={t.t('deleteOne', { name })} onClick={() => setOpen({ kind: 'delete', contact: c })} />
                </>
              ) : null}
            </>
          );
        }}
      />
      {open?.kind === 'add' ? <ContactDialog onDone={changed} onClose={close} /> : null}
      {open?.kind === 'edit' ? <ContactDialog contact={open.contact} onDone={changed} onClose={close} /> : null}
      {open?.kind === 'list' ? <AddToListDialog contact={open.contact} onClose={close} /> : null}
      {open?.kind === 'import' ? <ImportDialog onDone={changed} onClose={close} /> : null}
      {open?.kind === 'send' ? <NewMessageDialog initialTo={open.contact.number} onClose={close} /> : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          danger
          text={t.t('deleteConfirm', { name: open.contact.name || open.contact.number })}
          confirm={kitText.t('delete')}
          onConfirm={async () => {
            await call(api.DELETE('/api/v1/contacts/{id}', { params: { path: { id: open.contact.id } } }));
            toast(kitText.t('deleted'), 'success');
            changed();
          }}
          onClose={close}
        />
      ) : null}
    </>
  );
}

export function Contacts({ params }: ScreenProps): JSX.Element {
  const [location] = useLocation();
  const onLists = location.startsWith('/contacts/lists');
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')} />
      <Tabs />
      {params.id ? <ListDetail id={params.id} /> : onLists ? <Lists /> : <ContactsTab />}
    </div>
  );
}
