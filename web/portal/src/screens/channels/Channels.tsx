/** Channels held by my organisation, and the ones distributed below it: declare (platform operator), distribute (with force), destination. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, call, type Channel, type Org, type Queue, type Schemas } from '../../api/hub';
import { loadChannels } from '../../app/directory';
import { can, me, tenant, tenants } from '../../app/session';
import { DataTable, FormDialog, PageHeader, SearchBox, usePaged, useSubmit, type Column } from '../kit/kit';
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { HoursDialog } from './HoursDialog';
import { channelsText as t } from './messages';

type UserView = Schemas['UserView'];
type Destination = Schemas['Destination'];
type Gateway = Schemas['Gateway'];

/** Declares a channel: a SIM on a gateway port (the port's reported number prefills the SIM number). */
export function DeclareDialog({ onDone, onClose }: { onDone: () => void; onClose: () => void }): JSX.Element {
  const [gateways, setGateways] = useState<Gateway[]>([]);
  const [gateway, setGateway] = useState('');
  const [port, setPort] = useState('');
  const [number, setNumber] = useState('');
  const [country, setCountry] = useState('');
  const [name, setName] = useState('');
  const s = useSubmit(['gateway', 'port', 'sim_number', 'country', 'name']);
  useEffect(() => {
    call(api.GET('/api/v1/gateways', { params: { query: { limit: 500 } } }))
      .then((p) => {
        setGateways(p.items);
        setGateway((g) => g || (p.items[0]?.id ?? ''));
      })
      .catch(() => setGateways([]));
  }, []);
  const ports = gateways.find((g) => g.id === gateway)?.ports ?? [];
  const pickPort = (name: string) => {
    setPort(name);
    const sim = ports.find((p) => p.port === name)?.sim_number;
    if (sim && !number) setNumber(sim);
  };
  const submit = async () => {
    const missing: Record<string, string> = {};
    if (!gateway) missing.gateway = kitText.t('required');
    if (!port.trim()) missing.port = kitText.t('required');
    if (!number.trim()) missing.sim_number = kitText.t('required');
    if (country.trim() && !/^[A-Za-z]{2}$/.test(country.trim())) missing.country = t.t('countryHint');
    if (Object.keys(missing).length > 0) return s.setErrors(missing);
    const ok = await s.run(async () => {
      await call(api.POST('/api/v1/channels', { body: { gateway, port: port.trim(), sim_number: number, country: country.trim() || undefined, name: name.trim() || undefined } }));
    });
    if (ok) {
      toast(t.t('declared', { number }), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="declare-form" title={t.t('declareTitle')} submit={t.t('declare')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      {gateways.length === 0 ? <p key="none" class="notice">{t.t('noGateways')}</p> : null}
      {/*
        Every field has a key: the Port field changes element (select when the gateway reports ports,
        text otherwise), and without keys Preact would reuse the next inputs one place over, the
        Country input (maxLength 2) becoming the SIM number with maxlength 0 — a field that takes
        no characters (the declare bug).
      */}
      <SelectField key="gateway" label={t.t('gateway')} value={gateway} error={s.errors.gateway} onChange={(e) => { setGateway(e.currentTarget.value); setPort(''); }}>
        {gateways.map((g) => (
          <option key={g.id} value={g.id}>{g.name}</option>
        ))}
      </SelectField>
      {ports.length > 0 ? (
        <SelectField key="port-pick" label={t.t('port')} value={port} error={s.errors.port} onChange={(e) => pickPort(e.currentTarget.value)}>
          <option value="">{t.t('choosePort')}</option>
          {ports.map((p) => (
            <option key={p.port} value={p.port}>{p.sim_number ? `${p.port} (${p.sim_number})` : p.port}</option>
          ))}
        </SelectField>
      ) : (
        <TextField key="port-text" label={t.t('port')} value={port} error={s.errors.port} onInput={(e) => setPort(e.currentTarget.value)} autoComplete="off" />
      )}
      <TextField key="number" label={t.t('number')} value={number} error={s.errors.sim_number} onInput={(e) => setNumber(e.currentTarget.value)} autoComplete="off" inputMode="tel" />
      <TextField key="name" label={t.t('name')} value={name} error={s.errors.name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" maxLength={200} hint={t.t('nameHint')} />
      <TextField key="country" label={t.t('country')} value={country} error={s.errors.country} onInput={(e) => setCountry(e.currentTarget.value)} autoComplete="off" maxLength={2} />
      <p key="country-hint" class="field-hint">{t.t('countryHint')}</p>
    </FormDialog>
  );
}

/**
 * Deletes a channel (platform operator). The hub retires it (kept for its history); with live
 * conversations it refuses and says so, unless "force" ends them.
 */
function DeleteDialog({ channel, onDone, onClose }: { channel: Channel; onDone: () => void; onClose: () => void }): JSX.Element {
  const [force, setForce] = useState(false);
  const s = useSubmit(['force']);
  const submit = async () => {
    const ok = await s.run(async () => {
      await call(api.DELETE('/api/v1/channels/{id}', { params: { path: { id: channel.id }, query: { force } } }));
    });
    if (ok) {
      toast(t.t('deleted', { number: channel.sim_number }), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="delete-channel-form" title={t.t('deleteTitle', { number: channel.sim_number })} submit={kitText.t('delete')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      <p>{t.t('deleteConfirm')}</p>
      <label class="check">
        <input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
        <span>{t.t('deleteForce')}</span>
      </label>
    </FormDialog>
  );
}

/** Every organisation I can see: mine, resellers below me, tenants. */
function useOrgs(): Org[] {
  const [resellers, setResellers] = useState<Org[]>([]);
  useEffect(() => {
    if (can('manageTenants')) {
      call(api.GET('/api/v1/resellers', { params: { query: { limit: 500 } } }))
        .then((p) => setResellers(p.items))
        .catch(() => setResellers([]));
    }
  }, []);
  const m = me.value;
  return [...(m ? [m.org] : []), ...resellers.filter((r) => r.id !== m?.org.id), ...tenants.value.filter((x) => x.id !== m?.org.id)];
}

function DistributeDialog({ channel, orgs, onDone, onClose }: { channel: Channel; orgs: Org[]; onDone: () => void; onClose: () => void }): JSX.Element {
  const options = orgs.filter((o) => o.id !== channel.holder_id && o.kind !== 'platform' || o.id === me.value?.org.id && o.id !== channel.holder_id);
  const [org, setOrg] = useState(options[0]?.id ?? '');
  const [force, setForce] = useState(false);
  const s = useSubmit(['org', 'force']);
  const submit = async () => {
    const target = options.find((o) => o.id === org);
    if (!target) return;
    const ok = await s.run(async () => {
      await call(api.POST('/api/v1/channels/{id}/distribute', { params: { path: { id: channel.id } }, body: { org, force } }));
    });
    if (ok) {
      toast(t.t('distributed', { number: channel.sim_number, name: target.name }), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="distribute-form" title={t.t('distributeTitle', { number: channel.sim_number })} submit={t.t('distribute')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      <SelectField label={t.t('to')} value={org} error={s.errors.org} onChange={(e) => setOrg(e.currentTarget.value)}>
        {options.map((o) => (
          <option key={o.id} value={o.id}>{o.id === me.value?.org.id ? t.t('takeBack', { name: o.name }) : o.name}</option>
        ))}
      </SelectField>
      <label class="check">
        <input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
        <span>{t.t('force')}</span>
      </label>
      <p class="field-hint">{t.t('forceHint')}</p>
    </FormDialog>
  );
}

function DestinationDialog({ channel, onDone, onClose }: { channel: Channel; onDone: () => void; onClose: () => void }): JSX.Element {
  const [type, setType] = useState<Destination['type']>(channel.destination.type);
  const [target, setTarget] = useState(channel.destination.type === 'tenant' ? '' : channel.destination.id);
  const [queues, setQueues] = useState<Queue[]>([]);
  const [people, setPeople] = useState<UserView[]>([]);
  const s = useSubmit(['type', 'id']);
  useEffect(() => {
    const org = channel.holder_id;
    call(api.GET('/api/v1/queues', { params: { query: { org, limit: 500 } } })).then((p) => setQueues(p.items)).catch(() => setQueues([]));
    call(api.GET('/api/v1/users', { params: { query: { org, state: 'active', limit: 500 } } })).then((p) => setPeople(p.items)).catch(() => setPeople([]));
  }, [channel.id]);
  const options = type === 'queue' ? queues.map((q) => ({ id: q.id, name: q.name })) : people.map((u) => ({ id: u.id, name: `${u.name} (${u.login})` }));
  const chosen = options.some((o) => o.id === target) ? target : (options[0]?.id ?? '');
  const submit = async () => {
    const body: Destination = type === 'tenant' ? { type: 'tenant' } : { type, id: chosen };
    const ok = await s.run(async () => {
      await call(api.PUT('/api/v1/channels/{id}/destination', { params: { path: { id: channel.id } }, body }));
    });
    if (ok) {
      toast(t.t('destinationSaved'), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="destination-form" title={t.t('destinationTitle', { number: channel.sim_number })} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form ?? s.errors.id} onSubmit={() => void submit()} onClose={onClose}>
      <fieldset class="radio-group">
        <legend>{t.t('destType')}</legend>
        {(['tenant', 'queue', 'user'] as const).map((k) => (
          <label key={k} class="check">
            <input type="radio" name="dest-type" value={k} checked={type === k} onChange={() => setType(k)} />
            <span>{k === 'tenant' ? t.t('destTenant') : k === 'queue' ? t.t('destQueue') : t.t('destUser')}</span>
          </label>
        ))}
      </fieldset>
      {type === 'tenant' ? null : options.length === 0 ? (
        <p class="notice">{type === 'queue' ? t.t('noQueues') : t.t('noUsers')}</p>
      ) : (
        <SelectField label={type === 'queue' ? t.t('queue') : t.t('user')} value={chosen} onChange={(e) => setTarget(e.currentTarget.value)}>
          {options.map((o) => (
            <option key={o.id} value={o.id}>{o.name}</option>
          ))}
        </SelectField>
      )}
    </FormDialog>
  );
}

export function Channels(): JSX.Element {
  const [location] = useLocation();
  const shared = location.startsWith('/channels/distributed');
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<{ kind: 'distribute' | 'destination' | 'delete' | 'hours'; channel: Channel } | { kind: 'declare' } | undefined>(undefined);
  const orgs = useOrgs();
  const myOrg = me.value?.org.id ?? '';
  const ctx = tenant.value;
  const list = usePaged(
    (cursor) =>
      call(api.GET('/api/v1/channels', { params: { query: { q: q || undefined, cursor, limit: 100, ...(shared ? (ctx ? { holder: ctx } : {}) : { holder: myOrg }) } } })).then((p) =>
        shared ? { ...p, items: p.items.filter((c) => c.holder_id !== myOrg) } : p,
      ),
    [q, shared, ctx, myOrg],
    SCREEN_LISTS.channels,
  );
  const isTenant = (id: string) => tenants.value.some((o) => o.id === id && o.kind === 'tenant');
  const orgName = (id: string) => orgs.find((o) => o.id === id)?.name ?? '';
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    // Names of the queues and users channels point at.
    const holders = [...new Set(list.items.filter((c) => c.destination.type !== 'tenant').map((c) => c.holder_id))];
    for (const org of holders) {
      void call(api.GET('/api/v1/queues', { params: { query: { org, limit: 500 } } })).then((p) => setNames((m) => new Map([...m, ...p.items.map((x) => [x.id, x.name] as [string, string])]))).catch(() => {});
      void call(api.GET('/api/v1/users', { params: { query: { org, limit: 500 } } })).then((p) => setNames((m) => new Map([...m, ...p.items.map((x) => [x.id, x.name] as [string, string])]))).catch(() => {});
    }
  }, [list.items]);
  const destination = (c: Channel) => {
    const d = c.destination;
    if (d.type === 'tenant') return t.t('dest.tenant');
    return t.t(d.type === 'queue' ? 'dest.queue' : 'dest.user', { name: names.get(d.id) ?? '…' });
  };
  const changed = () => {
    list.reload();
    void loadChannels().catch(() => {});
  };
  const columns: Column<Channel>[] = [
    { label: t.t('number'), cell: (c) => <span class="mono">{c.sim_number}</span> },
    { label: t.t('name'), cell: (c) => c.name ?? '' },
    { label: t.t('port'), cell: (c) => c.port, wide: true },
    { label: t.t('holder'), cell: (c) => orgName(c.holder_id) },
    { label: t.t('destination'), cell: (c) => (isTenant(c.holder_id) ? destination(c) : '—'), wide: true },
  ];
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')} />
      {can('distributeChannels') ? (
        <nav class="tabs" aria-label={t.t('tabs.label')}>
          <Link href="/channels" class={shared ? 'tab' : 'tab active'} aria-current={shared ? undefined : 'page'}>{t.t('tabs.mine')}</Link>
          <Link href="/channels/distributed" class={shared ? 'tab active' : 'tab'} aria-current={shared ? 'page' : undefined}>{t.t('tabs.shared')}</Link>
        </nav>
      ) : null}
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} />
        {can('manageGateways') && !shared ? <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'declare' })}>{t.t('declare')}</Button> : null}
      </div>
      <DataTable
        label={t.t('label')}
        columns={columns}
        rows={list.items}
        rowId={(c) => c.id}
        list={list}
        empty={t.t('empty')}
        actions={(c) => (
          <>
            {can('distributeChannels') ? <IconButton icon="transfer" label={t.t('distributeOne', { number: c.sim_number })} onClick={() => setOpen({ kind: 'distribute', channel: c })} /> : null}
            {isTenant(c.holder_id) ? <IconButton icon="inbox" label={t.t('destinationOne', { number: c.sim_number })} onClick={() => setOpen({ kind: 'destination', channel: c })} /> : null}
            {isTenant(c.holder_id) ? <IconButton icon="clock" label={t.t('hoursOne', { number: c.sim_number })} onClick={() => setOpen({ kind: 'hours', channel: c })} /> : null}
            {can('manageGateways') ? <IconButton icon="trash" label={t.t('deleteOne', { number: c.sim_number })} onClick={() => setOpen({ kind: 'delete', channel: c })} /> : null}
          </>
        )}
      />
      {open?.kind === 'declare' ? <DeclareDialog onDone={changed} onClose={() => setOpen(undefined)} /> : null}
      {open?.kind === 'distribute' ? <DistributeDialog channel={open.channel} orgs={orgs} onDone={changed} onClose={() => setOpen(undefined)} /> : null}
      {open?.kind === 'delete' ? <DeleteDialog channel={open.channel} onDone={changed} onClose={() => setOpen(undefined)} /> : null}
      {open?.kind === 'hours' ? <HoursDialog channel={open.channel} onClose={() => setOpen(undefined)} /> : null}
      {open?.kind === 'destination' ? <DestinationDialog channel={open.channel} onDone={changed} onClose={() => setOpen(undefined)} /> : null}
    </div>
  );
}
