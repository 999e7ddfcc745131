/**
 * Notification settings of a tenant (enable, SMS / e-mail, count, delay, text, recipients,
 * channel, escalation levels, quiet hours), the escalation contacts of its managers and admins,
 * and the log of every notification with its delivery status.
 */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { Field, SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, ApiError, call, type Schemas } from '../../api/hub';
import { channels, loadDirectory, userName } from '../../app/directory';
import type { ScreenProps } from '../../app/modules';
import { tenant } from '../../app/session';
import { errorText } from '../inbox/errorText';
import { Log } from './Log';
import { notificationsText as t } from './messages';

type Settings = Schemas['NotificationSettings'];
type Recipient = Schemas['Recipient'];
type Escalation = Schemas['Escalation'];
type Contact = Schemas['NotifyContact'];

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function SettingsForm({ org }: { org: string | null }): JSX.Element {
  const [s, setS] = useState<Settings | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: string | undefined; message: string } | null>(null);
  useEffect(() => {
    setS(null);
    call(api.GET('/api/v1/notifications/settings', { params: { query: org ? { org } : {} } }))
      .then(setS)
      .catch((e) => toast(errorText(e), 'error'));
  }, [org]);
  if (!s) return <div class="screen-loading"><span class="spinner" aria-hidden="true" /></div>;
  const set = (p: Partial<Settings>) => setS({ ...s, ...p });
  const recipients = s.recipients ?? [];
  const escalations = s.escalations ?? [];
  const setRecipient = (i: number, p: Partial<Recipient>) => set({ recipients: recipients.map((r, j) => (j === i ? { ...r, ...p } : r)) });
  const setEscalation = (i: number, p: Partial<Escalation>) => set({ escalations: escalations.map((r, j) => (j === i ? { ...r, ...p } : r)) });
  const err = (f: string) => (error?.field === f ? error.message : undefined);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Settings = {
        ...s,
        recipients: recipients.map((r) => ({ name: r.name, number: r.number?.trim() ? r.number.trim() : null, email: r.email?.trim() ? r.email.trim() : null })),
      };
      setS(await call(api.PUT('/api/v1/notifications/settings', { params: { query: org ? { org } : {} }, body })));
      toast(t.t('saved'), 'success');
    } catch (x) {
      setError({ field: x instanceof ApiError ? x.field : undefined, message: errorText(x) });
    } finally {
      setBusy(false);
    }
  };
  const tenantChannels = channels.value.filter((c) => !org || c.holder_id === org);
  return (
    <form class="admin-form" onSubmit={save} noValidate data-testid="notification-settings">
      {error ? <p class="form-error" role="alert">{error.message}</p> : null}
      <label class="check">
        <input type="checkbox" checked={!!s.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
        <span>{t.t('enabled')}</span>
      </label>
      <div class="inline-fields">
        <label class="check">
          <input type="checkbox" checked={!!s.sms} onChange={(e) => set({ sms: e.currentTarget.checked })} />
          <span>{t.t('sms')}</span>
        </label>
        <label class="check">
          <input type="checkbox" checked={!!s.email} onChange={(e) => set({ email: e.currentTarget.checked })} />
          <span>{t.t('email')}</span>
        </label>
        <label class="check">
          <input type="checkbox" checked={!!s.include_count} onChange={(e) => set({ include_count: e.currentTarget.checked })} />
          <span>{t.t('includeCount')}</span>
        </label>
      </div>
      <TextField label={t.t('delay')} hint={t.t('delayHint')} type="number" min={5} max={60} value={String(s.delay_minutes ?? 10)} onInput={(e) => set({ delay_minutes: Number(e.currentTarget.value) })} error={err('delay_minutes')} />
      <Field label={t.t('text')} error={err('text')}>
        {(a) => <textarea class="input" rows={2} value={s.text ?? ''} onInput={(e) => set({ text: e.currentTarget.value })} {...a} />}
      </Field>
      <SelectField label={t.t('channel')} value={s.channel_id ?? ''} onChange={(e) => set({ channel_id: e.currentTarget.value || null })} error={err('channel_id')}>
        <option value="">{t.t('noChannel')}</option>
        {tenantChannels.map((c) => (
          <option key={c.id} value={c.id}>{c.sim_number}</option>
        ))}
      </SelectField>
      <fieldset>
        <legend>{t.t('recipients.label')}</legend>
        <p class="muted">{t.t('recipients.hint')}</p>
        {recipients.map((r, i) => (
          <div class="inline-fields" key={i} data-recipient={i}>
            <TextField label={t.t('recipients.name')} value={r.name} onInput={(e) => setRecipient(i, { name: e.currentTarget.value })} error={err(`recipients[${i}].name`)} />
            <TextField label={t.t('recipients.number')} type="tel" value={r.number ?? ''} onInput={(e) => setRecipient(i, { number: e.currentTarget.value })} error={err(`recipients[${i}].number`)} />
            <TextField label={t.t('recipients.email')} type="email" value={r.email ?? ''} onInput={(e) => setRecipient(i, { email: e.currentTarget.value })} error={err(`recipients[${i}].email`)} />
            <IconButton icon="close" label={t.t('recipients.remove', { n: i + 1 })} onClick={() => set({ recipients: recipients.filter((_, j) => j !== i) })} />
          </div>
        ))}
        <div><Button icon="plus" onClick={() => set({ recipients: [...recipients, { name: '', number: null, email: null }] })}>{t.t('recipients.add')}</Button></div>
      </fieldset>
      <fieldset>
        <legend>{t.t('escalations.label')}</legend>
        {escalations.map((x, i) => (
          <div class="inline-fields" key={i} data-escalation={i}>
            <TextField label={t.t('escalations.after')} type="number" min={1} value={String(x.after_minutes)} onInput={(e) => setEscalation(i, { after_minutes: Number(e.currentTarget.value) })} error={err(`escalations[${i}].after_minutes`)} />
            <SelectField label={t.t('escalations.audience')} value={x.audience} onChange={(e) => setEscalation(i, { audience: e.currentTarget.value as Escalation['audience'] })}>
              <option value="queue_managers">{t.t('escalations.queue_managers')}</option>
              <option value="tenant_admins">{t.t('escalations.tenant_admins')}</option>
            </SelectField>
            <IconButton icon="close" label={t.t('escalations.remove', { n: i + 1 })} onClick={() => set({ escalations: escalations.filter((_, j) => j !== i) })} />
          </div>
        ))}
        <div>
          <Button icon="plus" onClick={() => set({ escalations: [...escalations, { after_minutes: (escalations[escalations.length - 1]?.after_minutes ?? s.delay_minutes ?? 10) + 15, audience: escalations.length === 0 ? 'queue_managers' : 'tenant_admins' }] })}>
            {t.t('escalations.add')}
          </Button>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t.t('quiet.label')}</legend>
        <label class="check">
          <input type="checkbox" checked={!!s.quiet_hours} onChange={(e) => set({ quiet_hours: e.currentTarget.checked ? { start: '22:00', end: '07:00', timezone: browserZone() } : null })} />
          <span>{t.t('quiet.on')}</span>
        </label>
        {s.quiet_hours ? (
          <div class="inline-fields">
            <TextField label={t.t('quiet.start')} type="time" value={s.quiet_hours.start} onInput={(e) => set({ quiet_hours: { ...s.quiet_hours!, start: e.currentTarget.value } })} error={err('quiet_hours.start')} />
            <TextField label={t.t('quiet.end')} type="time" value={s.quiet_hours.end} onInput={(e) => set({ quiet_hours: { ...s.quiet_hours!, end: e.currentTarget.value } })} error={err('quiet_hours.end')} />
            <TextField label={t.t('quiet.timezone')} value={s.quiet_hours.timezone} onInput={(e) => set({ quiet_hours: { ...s.quiet_hours!, timezone: e.currentTarget.value } })} error={err('quiet_hours.timezone')} />
          </div>
        ) : null}
      </fieldset>
      <div><Button type="submit" variant="primary" busy={busy}>{t.t('save')}</Button></div>
    </form>
  );
}

function ContactRow({ c }: { c: Contact }): JSX.Element {
  const [mobile, setMobile] = useState(c.mobile ?? '');
  const [email, setEmail] = useState(c.email ?? '');
  const [busy, setBusy] = useState(false);
  const name = userName(c.user_id) ?? c.user_id;
  const save = async () => {
    setBusy(true);
    try {
      await call(api.PUT('/api/v1/notifications/contacts/{id}', { params: { path: { id: c.user_id } }, body: { mobile: mobile.trim() || null, email: email.trim() || null } }));
      toast(t.t('contacts.saved', { name }), 'success');
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-user={c.user_id}>
      <th scope="row">{name}</th>
      <td><input class="input" type="tel" aria-label={`${t.t('contacts.mobile')} · ${name}`} value={mobile} onInput={(e) => setMobile(e.currentTarget.value)} /></td>
      <td><input class="input" type="email" aria-label={`${t.t('contacts.email')} · ${name}`} value={email} onInput={(e) => setEmail(e.currentTarget.value)} /></td>
      <td><Button busy={busy} onClick={() => void save()}>{t.t('contacts.save', { name })}</Button></td>
    </tr>
  );
}

function Contacts({ org }: { org: string | null }): JSX.Element {
  const [list, setList] = useState<Contact[] | null>(null);
  useEffect(() => {
    call(api.GET('/api/v1/notifications/contacts', { params: { query: org ? { org } : {} } }))
      .then(setList)
      .catch((e) => toast(errorText(e), 'error'));
  }, [org]);
  return (
    <section class="report-section" aria-labelledby="h-contacts">
      <h2 id="h-contacts">{t.t('contacts.label')}</h2>
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t.t('contacts.label')}>
        <table class="data-table">
          <thead>
            <tr>
              <th scope="col">{t.t('contacts.user')}</th>
              <th scope="col">{t.t('contacts.mobile')}</th>
              <th scope="col">{t.t('contacts.email')}</th>
              <th scope="col"><span class="visually-hidden">{t.t('save')}</span></th>
            </tr>
          </thead>
          <tbody>
            {(list ?? []).map((c) => (
              <ContactRow key={c.user_id} c={c} />
            ))}
          </tbody>
        </table>
      </div>
      {list && list.length === 0 ? <p class="empty">{t.t('contacts.none')}</p> : null}
    </section>
  );
}

export function Notifications(_p: ScreenProps): JSX.Element {
  const org = tenant.value;
  const logTab = typeof location !== 'undefined' && location.pathname.endsWith('/log');
  useEffect(() => {
    void loadDirectory();
  }, []);
  return (
    <div class="page notifications">
      <div class="page-header">
        <div>
          <h1>{t.t('title')}</h1>
          <p class="muted">{t.t('intro')}</p>
        </div>
      </div>
      <nav class="tabs" aria-label={t.t('title')}>
        <Link href="/notifications" class="reply-mode" aria-current={!logTab ? 'page' : undefined}>{t.t('tabs.settings')}</Link>
        <Link href="/notifications/log" class="reply-mode" aria-current={logTab ? 'page' : undefined}>{t.t('tabs.log')}</Link>
      </nav>
      {logTab ? (
        <Log org={org} />
      ) : (
        <>
          <SettingsForm org={org} />
          <Contacts org={org} />
        </>
      )}
    </div>
  );
}
