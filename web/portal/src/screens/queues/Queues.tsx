/** Queues: add with agents and managers, edit, delete (with "force" when conversations are live). */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, call, type Queue, type Schemas } from '../../api/hub';
import { can, tenant } from '../../app/session';
import { ConfirmDialog, DataTable, defaultTenant, FormDialog, orgFilter, PageHeader, SearchBox, TenantChoice, tenantName, usePaged, useSubmit, type Column } from '../kit/kit';
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { queuesText as t } from './messages';
import { RoutingDialog } from './RoutingDialog';

type UserView = Schemas['UserView'];
type QueueRole = Schemas['QueueRole'];

function QueueDialog({ queue, onDone, onClose }: { queue?: Queue; onDone: () => void; onClose: () => void }): JSX.Element {
  const [org, setOrg] = useState(queue?.org_id ?? defaultTenant());
  const [name, setName] = useState(queue?.name ?? '');
  const [description, setDescription] = useState(queue?.description ?? '');
  const [members, setMembers] = useState<Map<string, QueueRole>>(new Map((queue?.members ?? []).map((m) => [m.user_id, m.role])));
  const [people, setPeople] = useState<UserView[]>([]);
  const s = useSubmit(['name', 'description', 'org', 'members']);
  useEffect(() => {
    if (!org) return setPeople([]);
    call(api.GET('/api/v1/users', { params: { query: { org, state: 'active', limit: 500 } } }))
      .then((p) => setPeople(p.items))
      .catch(() => setPeople([]));
  }, [org]);
  const toggle = (id: string, on: boolean) => {
    const m = new Map(members);
    if (on) m.set(id, m.get(id) ?? 'agent');
    else m.delete(id);
    setMembers(m);
  };
  const submit = async () => {
    if (!name.trim()) return s.setErrors({ name: kitText.t('required') });
    if (!org) return s.setErrors({ org: kitText.t('tenantRequired') });
    const list = [...members].map(([user_id, role]) => ({ user_id, role }));
    const ok = await s.run(async () => {
      if (queue) {
        await call(api.PATCH('/api/v1/queues/{id}', { params: { path: { id: queue.id } }, body: { name, description } }));
        await call(api.PUT('/api/v1/queues/{id}/members', { params: { path: { id: queue.id } }, body: list }));
      } else {
        await call(api.POST('/api/v1/queues', { body: { name, description, org, members: list } }));
      }
    });
    if (ok) {
      toast(queue ? kitText.t('saved') : t.t('created'), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="queue-form" wide title={queue ? t.t('editTitle', { name: queue.name }) : t.t('addTitle')} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form ?? s.errors.members} onSubmit={() => void submit()} onClose={onClose}>
      {queue ? null : <TenantChoice value={org} onChange={setOrg} error={s.errors.org} />}
      <TextField label={t.t('name')} value={name} error={s.errors.name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
      <TextField label={t.t('description')} value={description} error={s.errors.description} onInput={(e) => setDescription(e.currentTarget.value)} autoComplete="off" />
      <fieldset class="checks">
        <legend>{t.t('members')}</legend>
        {people.length === 0 ? <span class="muted">{t.t('noUsers')}</span> : null}
        {people.map((u) => {
          const role = members.get(u.id);
          return (
            <div key={u.id} class="member-row">
              <label class="check">
                <input type="checkbox" checked={role !== undefined} onChange={(e) => toggle(u.id, e.currentTarget.checked)} />
                <span>{u.name} <span class="muted">({u.login})</span></span>
              </label>
              {role ? (
                <select class="input member-role" aria-label={t.t('memberRole', { name: u.name })} value={role} onChange={(e) => setMembers(new Map(members).set(u.id, e.currentTarget.value as QueueRole))}>
                  <option value="agent">{t.t('asAgent')}</option>
                  <option value="manager">{t.t('asManager')}</option>
                </select>
              ) : null}
            </div>
          );
        })}
      </fieldset>
    </FormDialog>
  );
}

function DeleteQueue({ queue, onDone, onClose }: { queue: Queue; onDone: () => void; onClose: () => void }): JSX.Element {
  const [busyConflict, setBusyConflict] = useState(false);
  return (
    <ConfirmDialog
      danger
      text={busyConflict ? `${t.t('busy', { name: queue.name })} ${t.t('force')}?` : t.t('deleteConfirm', { name: queue.name })}
      confirm={busyConflict ? t.t('force') : kitText.t('delete')}
      onConfirm={async () => {
        try {
          await call(api.DELETE('/api/v1/queues/{id}', { params: { path: { id: queue.id }, query: busyConflict ? { force: true } : {} } }));
        } catch (e) {
          if (e instanceof ApiError && e.kind === 'conflict' && !busyConflict) {
            setBusyConflict(true);
            throw e;
          }
          throw e;
        }
        toast(t.t('deleted'), 'success');
        onDone();
      }}
      onClose={onClose}
    />
  );
}

export function Queues(): JSX.Element {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<{ kind: 'add' } | { kind: 'edit' | 'delete' | 'routing'; queue: Queue } | undefined>(undefined);
  const ctx = tenant.value;
  const list = usePaged((cursor) => call(api.GET('/api/v1/queues', { params: { query: { q: q || undefined, cursor, limit: 100, ...orgFilter() } } })), [q, ctx], SCREEN_LISTS.queues);
  const manage = can('manageQueues');
  const count = (x: Queue, role: QueueRole) => x.members.filter((m) => m.role === role).length;
  const columns: Column<Queue>[] = [
    { label: t.t('name'), cell: (x) => x.name },
    { label: t.t('description'), cell: (x) => x.description, wide: true },
    { label: t.t('agents'), cell: (x) => count(x, 'agent') },
    { label: t.t('managers'), cell: (x) => count(x, 'manager') },
  ];
  if (!ctx) columns.push({ label: t.t('tenant'), cell: (x) => tenantName(x.org_id), wide: true });
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
        rowId={(x) => x.id}
        list={list}
        empty={t.t('empty')}
        actions={manage ? (x) => (
          <>
            <IconButton icon="edit" label={t.t('editOne', { name: x.name })} onClick={() => setOpen({ kind: 'edit', queue: x })} />
            <IconButton icon="clock" label={t.t('routingOne', { name: x.name })} onClick={() => setOpen({ kind: 'routing', queue: x })} />
            <IconButton icon="trash" label={t.t('deleteOne', { name: x.name })} onClick={() => setOpen({ kind: 'delete', queue: x })} />
          </>
        ) : undefined}
      />
      {open?.kind === 'add' ? <QueueDialog onDone={list.reload} onClose={close} /> : null}
      {open?.kind === 'edit' ? <QueueDialog queue={open.queue} onDone={list.reload} onClose={close} /> : null}
      {open?.kind === 'routing' ? <RoutingDialog queue={open.queue} onClose={close} /> : null}
      {open?.kind === 'delete' ? <DeleteQueue queue={open.queue} onDone={list.reload} onClose={close} /> : null}
    </div>
  );
}
