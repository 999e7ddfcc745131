/** Gateways (platform operator): register (snippet and password shown once), online state, heartbeat, ports. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import { ConfirmDialog, copyText, DataTable, FormDialog, PageHeader, SearchBox, usePaged, useSubmit, type Column } from '../kit/kit';
import { SCREEN_LISTS } from '../kit/liveLists';
import { kitText } from '../kit/messages';
import { gatewaysText as t } from './messages';

type Gateway = Schemas['Gateway'];
type Provisioned = Schemas['ProvisionedGateway'];

function NameDialog({ gateway, onDone, onClose }: { gateway?: Gateway; onDone: (p?: Provisioned) => void; onClose: () => void }): JSX.Element {
  const [name, setName] = useState(gateway?.name ?? '');
  const s = useSubmit(['name']);
  const submit = async () => {
    if (!name.trim()) return s.setErrors({ name: kitText.t('required') });
    let made: Provisioned | undefined;
    const ok = await s.run(async () => {
      if (gateway) await call(api.PATCH('/api/v1/gateways/{id}', { params: { path: { id: gateway.id } }, body: { name } }));
      else made = await call(api.POST('/api/v1/gateways', { body: { name } }));
    });
    if (ok) {
      onClose();
      onDone(made);
    }
  };
  return (
    <FormDialog id="gateway-form" title={gateway ? t.t('renameTitle', { name: gateway.name }) : t.t('registerTitle')} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      <TextField label={t.t('name')} value={name} error={s.errors.name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
    </FormDialog>
  );
}

function ProvisionedDialog({ p, onClose }: { p: Provisioned; onClose: () => void }): JSX.Element {
  return (
    <Dialog open wide title={t.t('registered', { name: p.gateway.name })} onClose={onClose} footer={<Button variant="primary" onClick={onClose}>{common.t('actions.close')}</Button>}>
      <p class="notice">{t.t('shownOnce')}</p>
      <h3>{t.t('password')}</h3>
      <div class="secret">
        <code data-testid="gateway-password">{p.mqtt_password}</code>
        <IconButton icon="copy" label={t.t('copyPassword')} onClick={() => void copyText(p.mqtt_password)} />
      </div>
      <h3>{t.t('snippet')}</h3>
      <div class="secret">
        <pre class="snippet" data-testid="gateway-snippet">{p.config_snippet}</pre>
        <IconButton icon="copy" label={t.t('copySnippet')} onClick={() => void copyText(p.config_snippet)} />
      </div>
    </Dialog>
  );
}

function PortsDialog({ g, onClose }: { g: Gateway; onClose: () => void }): JSX.Element {
  const ports = g.ports ?? [];
  const columns: Column<(typeof ports)[number]>[] = [
    { label: t.t('port'), cell: (p) => <span class="mono">{p.port}</span> },
    { label: t.t('registeredPort'), cell: (p) => <span class={p.registered ? 'badge badge-success' : 'badge badge-warning'}>{p.registered ? t.t('yes') : t.t('no')}</span> },
    { label: t.t('signal'), cell: (p) => (p.signal == null ? '' : `${p.signal}/31`) },
    { label: t.t('operator'), cell: (p) => p.operator ?? '', wide: true },
    { label: t.t('sim'), cell: (p) => p.sim_number ?? '', wide: true },
  ];
  return (
    <Dialog open wide title={t.t('portsOf', { name: g.name })} onClose={onClose}>
      <DataTable label={t.t('portsOf', { name: g.name })} columns={columns} rows={ports} rowId={(p) => p.port} empty={t.t('noPorts')} />
    </Dialog>
  );
}

export function Gateways(): JSX.Element {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<{ kind: 'add' } | { kind: 'made'; p: Provisioned } | { kind: 'rename' | 'delete' | 'ports'; g: Gateway } | undefined>(undefined);
  const list = usePaged((cursor) => call(api.GET('/api/v1/gateways', { params: { query: { q: q || undefined, cursor, limit: 100 } } })), [q], SCREEN_LISTS.gateways);
  useEffect(() => {
    // The hub announces gateways registered, renamed, deleted, going on- or offline and
    // reporting ports; heartbeat times (one a minute per gateway) it does not: refresh them
    // every 15 s.
    const timer = setInterval(list.reload, 15_000);
    return () => clearInterval(timer);
  }, []);
  const columns: Column<Gateway>[] = [
    { label: t.t('name'), cell: (g) => g.name },
    { label: t.t('username'), cell: (g) => <span class="mono">{g.mqtt_username}</span>, wide: true },
    { label: t.t('state'), cell: (g) => <span class={g.online ? 'badge badge-success' : 'badge badge-warning'} data-online={g.online ? 'true' : 'false'}>{g.online ? t.t('online') : t.t('offline')}</span> },
    { label: t.t('heartbeat'), cell: (g) => (g.last_seen ? <time dateTime={g.last_seen}>{formatDateTime(g.last_seen, { dateStyle: 'short', timeStyle: 'medium' })}</time> : t.t('never')), wide: true },
    { label: t.t('ports'), cell: (g) => <Button class="btn-link" onClick={() => setOpen({ kind: 'ports', g })} aria-label={t.t('showPorts', { count: (g.ports ?? []).length, name: g.name })}>{(g.ports ?? []).length}</Button> },
  ];
  const close = () => setOpen(undefined);
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')}>
        <Button variant="primary" icon="plus" onClick={() => setOpen({ kind: 'add' })}>{t.t('register')}</Button>
      </PageHeader>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} />
      </div>
      <DataTable
        label={t.t('label')}
        columns={columns}
        rows={list.items}
        rowId={(g) => g.id}
        list={list}
        empty={t.t('empty')}
        actions={(g) => (
          <>
            <IconButton icon="edit" label={t.t('renameOne', { name: g.name })} onClick={() => setOpen({ kind: 'rename', g })} />
            <IconButton icon="trash" label={t.t('deleteOne', { name: g.name })} onClick={() => setOpen({ kind: 'delete', g })} />
          </>
        )}
      />
      {open?.kind === 'add' ? <NameDialog onDone={(p) => {
        list.reload();
        if (p) setOpen({ kind: 'made', p });
      }} onClose={close} /> : null}
      {open?.kind === 'made' ? <ProvisionedDialog p={open.p} onClose={close} /> : null}
      {open?.kind === 'rename' ? <NameDialog gateway={open.g} onDone={() => {
        toast(kitText.t('saved'), 'success');
        list.reload();
      }} onClose={close} /> : null}
      {/* The gateway as the list has it now: its ports follow the live port reports while open. */}
      {open?.kind === 'ports' ? <PortsDialog g={list.items.find((g) => g.id === open.g.id) ?? open.g} onClose={close} /> : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          danger
          text={t.t('deleteConfirm', { name: open.g.name })}
          confirm={kitText.t('delete')}
          onConfirm={async () => {
            await call(api.DELETE('/api/v1/gateways/{id}', { params: { path: { id: open.g.id } } }));
            toast(t.t('deleted'), 'success');
            list.reload();
          }}
          onClose={close}
        />
      ) : null}
    </div>
  );
}
