/** Tenants and resellers: add, edit, delete, enter a tenant (switches the context of every page). */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, ApiError, call, type Org } from '../../api/hub';
import { can, loadSession, me, selectTenant } from '../../app/session';
import { ConfirmDialog, DataTable, FormDialog, PageHeader, SearchBox, usePaged, useSubmit, type Column } from '../kit/kit';
import { live } from '../../app/live';
import { SCREEN_LISTS, watchLists } from '../kit/liveLists';
import { tenantsText as t } from './messages';

type Kind = 'tenant' | 'reseller';

function OrgDialog({ kind, org, parents, onDone, onClose }: { kind: Kind; org?: Org; parents: Org[]; onDone: () => void; onClose: () => void }): JSX.Element {
  const [name, setName] = useState(org?.name ?? '');
  const [type, setType] = useState(org?.type ?? '');
  const [country, setCountry] = useState(org?.country ?? '');
  const [parent, setParent] = useState(org?.parent_id ?? parents[0]?.id ?? '');
  const s = useSubmit(['name', 'type', 'country', 'parent']);
  const submit = async () => {
    if (!name.trim()) return s.setErrors({ name: common.t('errors.field', { field: t.t('name'), message: '—' }) });
    const ok = await s.run(async () => {
      if (org) {
        const body = kind === 'tenant' ? { name, type, country: country.toUpperCase() } : { name };
        if (kind === 'tenant') await call(api.PATCH('/api/v1/tenants/{id}', { params: { path: { id: org.id } }, body }));
        else await call(api.PATCH('/api/v1/resellers/{id}', { params: { path: { id: org.id } }, body }));
      } else if (kind === 'tenant') {
        await call(api.POST('/api/v1/tenants', { body: { name, type: type || null, country: country ? country.toUpperCase() : null, parent: parent || null } }));
      } else {
        await call(api.POST('/api/v1/resellers', { body: { name, parent: parent || null } }));
      }
    });
    if (ok) {
      toast(org ? common.t('actions.save') : t.t('created', { name }), 'success');
      onDone();
      onClose();
    }
  };
  const title = org ? t.t('editTitle', { name: org.name }) : kind === 'tenant' ? t.t('newTenant') : t.t('newReseller');
  return (
    <FormDialog id="org-form" title={title} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      {!org && parents.length > 1 ? (
        <SelectField label={t.t('parent')} value={parent} error={s.errors.parent} onChange={(e) => setParent(e.currentTarget.value)}>
          {parents.map((p) => (
            <option key={p.id} value={p.id}>{p.name}</option>
          ))}
        </SelectField>
      ) : null}
      <TextField label={t.t('name')} value={name} error={s.errors.name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
      {kind === 'tenant' ? (
        <>
          <TextField label={t.t('type')} hint={t.t('typeHint')} value={type} error={s.errors.type} onInput={(e) => setType(e.currentTarget.value)} autoComplete="off" />
          <TextField label={t.t('country')} hint={t.t('countryHint')} value={country} error={s.errors.country} onInput={(e) => setCountry(e.currentTarget.value)} maxLength={2} autoComplete="off" />
        </>
      ) : null}
    </FormDialog>
  );
}

function DeleteOrg({ kind, org, onDone, onClose }: { kind: Kind; org: Org; onDone: () => void; onClose: () => void }): JSX.Element {
  const [conflict, setConflict] = useState(false);
  return (
    <ConfirmDialog
      danger
      text={kind === 'tenant' ? t.t('deleteTenant', { name: org.name }) : t.t('deleteReseller', { name: org.name })}
      confirm={conflict ? t.t('force') : t.t('deleteOne', { name: org.name })}
      onConfirm={async () => {
        try {
          if (kind === 'tenant') await call(api.DELETE('/api/v1/tenants/{id}', { params: { path: { id: org.id }, query: conflict ? { force: true } : {} } }));
          else await call(api.DELETE('/api/v1/resellers/{id}', { params: { path: { id: org.id } } }));
        } catch (e) {
          if (e instanceof ApiError && e.kind === 'conflict' && kind === 'tenant') setConflict(true);
          throw e;
        }
        toast(t.t('deleted', { name: org.name }), 'success');
        onDone();
      }}
      onClose={onClose}
    />
  );
}

export function Tenants(): JSX.Element {
  const [location, go] = useLocation();
  const resellersTab = location.startsWith('/tenants/resellers');
  const kind: Kind = resellersTab ? 'reseller' : 'tenant';
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<{ kind: 'add' } | { kind: 'edit' | 'delete'; org: Org } | undefined>(undefined);
  const [resellers, setResellers] = useState<Org[]>([]);
  const list = usePaged(
    (cursor) =>
      resellersTab
        ? call(api.GET('/api/v1/resellers', { params: { query: { q: q || undefined, cursor, limit: 100 } } }))
        : call(api.GET('/api/v1/tenants', { params: { query: { q: q || undefined, cursor, limit: 100 } } })),
    [q, resellersTab],
    SCREEN_LISTS.tenants,
  );
  const loadResellers = () =>
    call(api.GET('/api/v1/resellers', { params: { query: { limit: 500 } } }))
      .then((p) => setResellers(p.items))
      .catch(() => setResellers([]));
  useEffect(() => {
    void loadResellers();
  }, []);
  // Parent names follow resellers added or renamed elsewhere.
  useEffect(() => watchLists(live, SCREEN_LISTS.tenants, () => void loadResellers()), []);
  const m = me.value;
  const own = m?.org;
  const orgName = (id: string | null | undefined) => (id === own?.id ? own?.name : resellers.find((r) => r.id === id)?.name) ?? '';
  // Parents: my own organisation, and for tenants the resellers below me; for resellers, L1 ones (an L2 goes under an L1).
  const parents: Org[] = [
    ...(own ? [own] : []),
    ...resellers.filter((r) => r.id !== own?.id && (kind === 'tenant' || r.kind === 'reseller_l1')),
  ].filter((p) => kind === 'tenant' || p.kind === 'platform' || p.kind === 'reseller_l1');
  const changed = () => {
    list.reload();
    void loadResellers();
    void loadSession().catch(() => {});
  };
  const columns: Column<Org>[] = [{ label: t.t('name'), cell: (o) => o.name }];
  if (kind === 'tenant') {
    columns.push({ label: t.t('type'), cell: (o) => o.type ?? '', wide: true }, { label: t.t('country'), cell: (o) => o.country ?? '', wide: true });
  } else {
    columns.push({ label: t.t('level'), cell: (o) => (o.kind === 'reseller_l1' || o.kind === 'reseller_l2' ? t.t(`levels.${o.kind}`) : '') });
  }
  columns.push({ label: t.t('parent'), cell: (o) => orgName(o.parent_id), wide: true });
  const close = () => setOpen(undefined);
  const enter = (o: Org) => {
    selectTenant(o.id);
    toast(t.t('entered', { name: o.name }), 'success');
    go('/inbox');
  };
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')}>
        {!resellersTab || can('manageResellers') ? (
          <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'add' })}>{resellersTab ? t.t('addReseller') : t.t('addTenant')}</Button>
        ) : null}
      </PageHeader>
      <nav class="tabs" aria-label={t.t('tabs.label')}>
        <Link href="/tenants" class={resellersTab ? 'tab' : 'tab active'} aria-current={resellersTab ? undefined : 'page'}>{t.t('tabs.tenants')}</Link>
        <Link href="/tenants/resellers" class={resellersTab ? 'tab active' : 'tab'} aria-current={resellersTab ? 'page' : undefined}>{t.t('tabs.resellers')}</Link>
      </nav>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} />
      </div>
      <DataTable
        label={resellersTab ? t.t('resellersLabel') : t.t('tenantsLabel')}
        columns={columns}
        rows={list.items.filter((o) => o.id !== own?.id)}
        rowId={(o) => o.id}
        list={list}
        empty={t.t('empty')}
        actions={(o) => (
          <>
            {kind === 'tenant' ? <IconButton icon="login" label={t.t('enterOne', { name: o.name })} onClick={() => enter(o)} /> : null}
            {kind === 'tenant' || can('manageResellers') ? (
              <>
                <IconButton icon="edit" label={t.t('editOne', { name: o.name })} onClick={() => setOpen({ kind: 'edit', org: o })} />
                <IconButton icon="trash" label={t.t('deleteOne', { name: o.name })} onClick={() => setOpen({ kind: 'delete', org: o })} />
              </>
            ) : null}
          </>
        )}
      />
      {open?.kind === 'add' ? <OrgDialog kind={kind} parents={parents} onDone={changed} onClose={close} /> : null}
      {open?.kind === 'edit' ? <OrgDialog kind={kind} org={open.org} parents={parents} onDone={changed} onClose={close} /> : null}
      {open?.kind === 'delete' ? <DeleteOrg kind={kind} org={open.org} onDone={changed} onClose={close} /> : null}
    </div>
  );
}
