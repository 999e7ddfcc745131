/** "New message": channel, number or contact search, text (for roles that may start one). */
import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { Field, SelectField } from '@smsgate/shared/components/Field';
import { HUB_MAX_CHARS, SmsCounter } from '@smsgate/shared/components/SmsCounter';
import { common } from '@smsgate/shared/i18n/common';
import { charCount } from '@smsgate/shared/sms/segments';
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { api, ApiError, call } from '../../api/hub';
import { channels, contacts } from '../../app/directory';
import { tenant, tenants } from '../../app/session';
import { inboxText as t } from './messages';
import { addSent, fetchConversation } from './store';

const NUMBER = /^\+[1-9][0-9]{6,14}$/;

/** A typed recipient: a number, or "Name (+number)" picked from the contact suggestions. */
export function recipientNumber(input: string): string | undefined {
  const inParens = /\((\+[0-9 ]+)\)\s*$/.exec(input)?.[1];
  const candidate = (inParens ?? input).replace(/[\s().-]/g, '');
  return NUMBER.test(candidate) ? candidate : undefined;
}

export function NewMessageDialog({ onClose, initialTo = '' }: { onClose: () => void; initialTo?: string }): JSX.Element {
  const tenantIds = new Set(tenants.value.map((x) => x.id));
  const usable = channels.value.filter((c) => tenantIds.has(c.holder_id) && (tenant.value === null || c.holder_id === tenant.value));
  const [picked, setChannel] = useState('');
  // The channels may still be loading when the dialog opens: default to the first usable one.
  const channel = usable.some((c) => c.id === picked) ? picked : (usable[0]?.id ?? '');
  const [to, setTo] = useState(initialTo);
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();
  const holder = usable.find((c) => c.id === channel)?.holder_id;
  const suggestions = useMemo(() => contacts.value.filter((c) => c.org_id === holder).slice(0, 500), [holder, contacts.value]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const number = recipientNumber(to);
    const errs: Record<string, string> = {};
    if (!number) errs.to = t.t('compose.badNumber');
    if (!text.trim()) errs.text = common.t('errors.field', { field: t.t('compose.text'), message: '—' });
    setErrors(errs);
    if (Object.keys(errs).length || !number) return;
    setBusy(true);
    try {
      const m = await call(api.POST('/api/v1/messages', { body: { channel, to: number, text } }));
      addSent(m);
      await fetchConversation(m.interaction_id).catch(() => {});
      onClose();
      navigate(`/inbox/${m.interaction_id}`);
    } catch (err) {
      if (err instanceof ApiError && err.field && ['to', 'text', 'channel'].includes(err.field)) setErrors({ [err.field]: err.message });
      else setErrors({ form: err instanceof ApiError && err.kind === 'network' ? common.t('errors.network') : err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      wide
      title={t.t('compose.title')}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{common.t('actions.cancel')}</Button>
          <Button type="submit" variant="primary" icon="send" form="compose" busy={busy} disabled={!usable.length || charCount(text) > HUB_MAX_CHARS}>{t.t('compose.submit')}</Button>
        </>
      }
    >
      {usable.length === 0 ? (
        <p class="form-error" role="alert">{t.t('compose.noChannel')}</p>
      ) : (
        <form id="compose" onSubmit={submit} noValidate>
          {errors.form ? <p class="form-error" role="alert">{errors.form}</p> : null}
          <SelectField label={t.t('compose.channel')} hint={t.t('compose.channelHint')} value={channel} error={errors.channel} onChange={(e) => setChannel(e.currentTarget.value)} data-testid="compose-channel">
            {usable.map((c) => (
              <option key={c.id} value={c.id}>{c.sim_number}</option>
            ))}
          </SelectField>
          <Field label={t.t('compose.to')} hint={t.t('compose.toHint')} error={errors.to}>
            {(a) => <input class="input" {...a} list="compose-contacts" autoComplete="off" inputMode="tel" value={to} onInput={(e) => setTo(e.currentTarget.value)} data-testid="compose-to" />}
          </Field>
          <datalist id="compose-contacts">
            {suggestions.map((c) => (
              <option key={c.id} value={c.name ? `${c.name} (${c.number})` : c.number} />
            ))}
          </datalist>
          <Field label={t.t('compose.text')} error={errors.text} hint={<SmsCounter text={text} />}>
            {(a) => <textarea class="input" rows={5} {...a} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="compose-text" />}
          </Field>
        </form>
      )}
    </Dialog>
  );
}
