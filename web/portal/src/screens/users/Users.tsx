/** Users: add (with "Generate"), edit, roles, disconnect, deactivate, delete (archive), restore. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { Field, SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, call, type Org, type Role, type Schemas } from '../../api/hub';
import { shell } from '../../app/messages';
import { can, me, tenant, tenants } from '../../app/session';
import { ConfirmDialog, DataTable, FormDialog, orgFilter, PageHeader, SearchBox, usePaged, useSubmit, type Column } from '../kit/kit';
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { usersText as t } from './messages';
import { generatePassword } from './password';

type UserView = Schemas['UserView'];

const ROLES_BY_KIND: Record<Org['kind'], Role[]> = {
  platform: ['platform_admin'],
  reseller_l1: ['reseller_admin'],
  reseller_l2: ['reseller_admin'],
  tenant: ['tenant_admin', 'manager', 'agent', 'user'],
};

/** Organisations a new user may belong to: the caller's own (admins of resellers/platform) and the tenants in context. */
function orgChoices(): Org[] {
  const m = me.value;
  const list = tenant.value ? tenants.value.filter((o) => o.id === tenant.value) : [...tenants.value];
  if (m && m.org.kind !== 'tenant' && !tenant.value) list.unshift(m.org);
  return list;
}

function PasswordField({ label, value, onChange, error }: { label: string; value: string; onChange: (v: string) => void; error?: string | undefined }): JSX.Element {
  return (
    <Field label={label} hint={t.t('passwordHint')} error={error}>
      {(a) => (
        <div class="inline-add">
          <input class="input mono" type="text" autoComplete="new-password" spellcheck={false} {...a} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
          <Button icon="refresh" onClick={() => onChange(generatePassword())}>{t.t('generate')}</Button>
        </div>
      )}
    </Field>
  );
}

function UserDialog({ user, onDone, onClose }: { user?: UserView; onDone: () => void; onClose: () => void }): JSX.Element {
  const orgs = orgChoices();
  const [org, setOrg] = useState(user?.org_id ?? orgs.find((o) => o.kind === 'tenant')?.id ?? orgs[0]?.id ?? '');
  const kind = user ? (tenants.value.find((o) => o.id === user.org_id)?.kind ?? me.value?.org.kind ?? 'tenant') : (orgs.find((o) => o.id === org)?.kind ?? 'tenant');
  const roles = ROLES_BY_KIND[kind];
  const [role, setRole] = useState<Role>(user?.role ?? roles[roles.length > 1 ? 2 : 0] ?? 'agent');
  const [name, setName] = useState(user?.name ?? '');
  const [login, setLogin] = useState(user?.login ?? '');
  const [password, setPassword] = useState('');
  const s = useSubmit(['name', 'login', 'role', 'password', 'org']);
  const self = user?.id === me.value?.user?.id;
  const submit = async () => {
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = kitText.t('required');
    if (!user && !login.trim()) errs.login = kitText.t('required');
    if (!user && !password) errs.password = kitText.t('required');
    if (!user && !org) errs.org = kitText.t('tenantRequired');
    if (Object.keys(errs).length) return s.setErrors(errs);
    const ok = await s.run(async () => {
      if (user) {
        await call(api.PATCH('/api/v1/users/{id}', {
          params: { path: { id: user.id } },
          body: { name, ...(password ? { password } : {}), ...(!self && role !== user.role ? { role } : {}) },
        }));
      } else {
        await call(api.POST('/api/v1/users', { body: { name, login, role: roles.includes(role) ? role : (roles[0] ?? role), password, org } }));
      }
    });
    if (ok) {
      toast(user ? kitText.t('saved') : t.t('created', { login }), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="user-form" title={user ? t.t('editTitle', { name: user.name }) : t.t('addTitle')} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      {!user && orgs.length > 1 ? (
        <SelectField label={t.t('organisation')} value={org} error={s.errors.org} onChange={(e) => setOrg(e.currentTarget.value)}>
          {orgs.map((o) => (
            <option key={o.id} value={o.id}>{o.name}</option>
          ))}
        </SelectField>
      ) : null}
      <TextField label={t.t('name')} value={name} error={s.errors.name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
      {user ? null : <TextField label={t.t('login')} value={login} error={s.errors.login} onInput={(e) => setLogin(e.currentTarget.value)} autoComplete="off" autoCapitalize="none" spellcheck={false} />}
      <SelectField label={t.t('role')} value={roles.includes(role) ? role : roles[0]} error={s.errors.role} disabled={self} onChange={(e) => setRole(e.currentTarget.value as Role)}>
        {roles.map((r) => (
          <option key={r} value={r}>{shell.t(`roles.${r}`)}</option>
        ))}
      </SelectField>
      <PasswordField label={user ? t.t('newPassword') : t.t('password')} value={password} onChange={setPassword} error={s.errors.password} />
    </FormDialog>
  );
}

type Pending = { kind: 'add' } | { kind: 'edit' | 'disconnect' | 'deactivate' | 'delete'; user: UserView };

export function Users(): JSX.Element {
  const [location] = useLocation();
  const archive = location.startsWith('/users/archive');
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<Pending | undefined>(undefined);
  const ctx = tenant.value;
  const list = usePaged(
    (cursor) =>
      call(api.GET('/api/v1/users', { params: { query: { q: q || undefined, cursor, limit: 100, ...orgFilter(), ...(archive ? { state: 'archived' as const } : {}) } } })).then((p) =>
        archive ? p : { ...p, items: p.items.filter((u) => u.state !== 'archived') },
      ),
    [q, ctx, archive],
    SCREEN_LISTS.users,
  );
  const manage = can('manageUsers');
  const orgName = (id: string) => (id === me.value?.org.id ? me.value.org.name : (tenants.value.find((o) => o.id === id)?.name ?? ''));
  const setState = async (u: UserView, state: 'active' | 'deactivated' | 'archived', message: string) => {
    await call(api.POST('/api/v1/users/{id}/state', { params: { path: { id: u.id } }, body: { state } }));
    toast(message, 'success');
    list.reload();
  };
  const columns: Column<UserView>[] = [
    { label: t.t('name'), cell: (u) => (u.id === me.value?.user?.id ? `${u.name} (${t.t('self')})` : u.name) },
    { label: t.t('login'), cell: (u) => <span class="mono">{u.login}</span>, wide: true },
    { label: t.t('role'), cell: (u) => shell.t(`roles.${u.role}`) },
    { label: t.t('state'), cell: (u) => <span class={u.state === 'active' ? 'badge badge-success' : 'badge badge-warning'} data-state={u.state}>{t.t(`states.${u.state}`)}</span> },
    { label: t.t('presence'), cell: (u) => <span class={`presence presence-${u.presence}`}>{t.t(`presences.${u.presence}`)}</span>, wide: true },
  ];
  if (!ctx) columns.push({ label: t.t('organisation'), cell: (u) => orgName(u.org_id), wide: true });
  const close = () => setOpen(undefined);
  const actions = (u: UserView) => {
    const self = u.id === me.value?.user?.id;
    if (archive) return <IconButton icon="refresh" label={t.t('restoreOne', { name: u.name })} onClick={() => void setState(u, 'active', t.t('restored', { name: u.name }))} />;
    return (
      <>
        <IconButton icon="edit" label={t.t('editOne', { name: u.name })} onClick={() => setOpen({ kind: 'edit', user: u })} />
        {self ? null : (
          <>
            <IconButton icon="logout" label={t.t('disconnectOne', { name: u.name })} onClick={() => setOpen({ kind: 'disconnect', user: u })} />
            {u.state === 'active' ? (
              <IconButton icon="lock" label={t.t('deactivateOne', { name: u.name })} onClick={() => setOpen({ kind: 'deactivate', user: u })} />
            ) : (
              <IconButton icon="check" label={t.t('activateOne', { name: u.name })} onClick={() => void setState(u, 'active', t.t('activated', { name: u.name }))} />
            )}
            <IconButton icon="trash" label={t.t('deleteOne', { name: u.name })} onClick={() => setOpen({ kind: 'delete', user: u })} />
          </>
        )}
      </>
    );
  };
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')}>
        {manage && !archive ? <Button variant="primary" icon="userPlus" onClick={() => setOpen({ kind: 'add' })}>{t.t('add')}</Button> : null}
      </PageHeader>
      <nav class="tabs" aria-label={t.t('tabs.label')}>
        <Link href="/users" class={archive ? 'tab' : 'tab active'} aria-current={archive ? undefined : 'page'}>{t.t('tabs.active')}</Link>
        <Link href="/users/archive" class={archive ? 'tab active' : 'tab'} aria-current={archive ? 'page' : undefined}>{t.t('tabs.archive')}</Link>
      </nav>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} />
      </div>
      <DataTable label={archive ? t.t('archiveLabel') : t.t('label')} columns={columns} rows={list.items} rowId={(u) => u.id} list={list} empty={archive ? t.t('emptyArchive') : t.t('empty')} actions={manage ? actions : undefined} />
      {open?.kind === 'add' ? <UserDialog onDone={list.reload} onClose={close} /> : null}
      {open?.kind === 'edit' ? <UserDialog user={open.user} onDone={list.reload} onClose={close} /> : null}
      {open?.kind === 'disconnect' ? (
        <ConfirmDialog
          text={t.t('disconnectConfirm', { name: open.user.name })}
          confirm={t.t('disconnect')}
          onConfirm={async () => {
            await call(api.POST('/api/v1/users/{id}/disconnect', { params: { path: { id: open.user.id } } }));
            toast(t.t('disconnected', { name: open.user.name }), 'success');
            list.reload();
          }}
          onClose={close}
        />
      ) : null}
      {open?.kind === 'deactivate' ? (
        <ConfirmDialog danger text={t.t('deactivateConfirm', { name: open.user.name })} confirm={t.t('deactivate')} onConfirm={() => setState(open.user, 'deactivated', t.t('deactivated', { name: open.user.name }))} onClose={close} />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog danger text={t.t('deleteConfirm', { name: open.user.name })} confirm={kitText.t('delete')} onConfirm={() => setState(open.user, 'archived', t.t('deleted', { name: open.user.name }))} onClose={close} />
      ) : null}
    </div>
  );
}
