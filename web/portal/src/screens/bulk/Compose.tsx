/** A new bulk message: channel, campaign, text with the segment counter, lists, contacts, pasted numbers. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { Field, SelectField, TextField } from '@smsgate/shared/components/Field';
import { HUB_MAX_CHARS, SmsCounter } from '@smsgate/shared/components/SmsCounter';
import { charCount } from '@smsgate/shared/sms/segments';
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { api, call, type Contact, type Schemas } from '../../api/hub';
import { channels, loadChannels } from '../../app/directory';
import { tenant, tenants } from '../../app/session';
import { errorText, formErrors } from '../kit/kit';
import { kitText } from '../kit/messages';
import { bulkText as t } from './messages';
import { pastedNumbers } from './recipients';

type ContactList = Schemas['ContactList'];

const FIELDS = ['channel', 'campaign', 'text', 'to', 'lists'] as const;

export function Compose(): JSX.Element {
  useEffect(() => {
    void loadChannels().catch(() => {});
  }, []);
  const tenantIds = new Set(tenants.value.map((x) => x.id));
  const usable = channels.value.filter((c) => tenantIds.has(c.holder_id) && (tenant.value === null || c.holder_id === tenant.value));
  const [picked, setPicked] = useState('');
  const channelId = usable.some((c) => c.id === picked) ? picked : (usable[0]?.id ?? '');
  const holder = usable.find((c) => c.id === channelId)?.holder_id;
  const [campaign, setCampaign] = useState('');
  const [text, setText] = useState('');
  const [lists, setLists] = useState<ContactList[]>([]);
  const [chosenLists, setChosenLists] = useState<string[]>([]);
  const [contactQuery, setContactQuery] = useState('');
  const [suggestions, setSuggestions] = useState<Contact[]>([]);
  const [chosenContacts, setChosenContacts] = useState<Contact[]>([]);
  const [pasted, setPasted] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [, go] = useLocation();

  useEffect(() => {
    setChosenLists([]);
    setChosenContacts([]);
    if (!holder) return setLists([]);
    call(api.GET('/api/v1/contact-lists', { params: { query: { org: holder, limit: 500 } } }))
      .then((p) => setLists(p.items))
      .catch((e: unknown) => setErrors({ lists: errorText(e) }));
  }, [holder]);
  // A picked suggestion reads "Name (+number)": search by its number.
  const searchTerm = (/\((\+[0-9]+)\)\s*$/.exec(contactQuery)?.[1] ?? contactQuery).trim();
  useEffect(() => {
    if (!holder || searchTerm.length < 2) return setSuggestions([]);
    let alive = true;
    call(api.GET('/api/v1/contacts', { params: { query: { org: holder, q: searchTerm, limit: 20 } } }))
      .then((p) => alive && setSuggestions(p.items))
      .catch(() => alive && setSuggestions([]));
    return () => {
      alive = false;
    };
  }, [holder, searchTerm]);

  const numbers = useMemo(() => pastedNumbers(pasted), [pasted]);
  const total = numbers.length + chosenContacts.length + lists.filter((l) => chosenLists.includes(l.id)).reduce((n, l) => n + (l.members ?? 0), 0);
  const label = (c: Contact) => (c.name ? `${c.name} (${c.number})` : c.number);
  const addContact = async () => {
    const pick = (list: Contact[]) => list.find((x) => label(x) === contactQuery.trim() || x.number === searchTerm);
    let c = pick(suggestions);
    if (!c && holder && searchTerm) {
      // The suggestions may not have arrived yet: ask for the typed number or name now.
      c = pick((await call(api.GET('/api/v1/contacts', { params: { query: { org: holder, q: searchTerm, limit: 20 } } })).catch(() => ({ items: [] as Contact[] }))).items);
    }
    if (!c) return setErrors({ ...errors, contacts: t.t('compose.unknownContact') });
    const chosen = c;
    if (!chosenContacts.some((x) => x.id === chosen.id)) setChosenContacts([...chosenContacts, chosen]);
    setContactQuery('');
    setErrors({ ...errors, contacts: '' });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!campaign.trim()) errs.campaign = kitText.t('required');
    if (!text.trim()) errs.text = kitText.t('required');
    if (total === 0 && chosenLists.length === 0) errs.to = t.t('compose.noRecipient');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const r = await api.POST('/api/v1/bulk-messages', {
        body: { channel: channelId, campaign, text, lists: chosenLists, to: [...chosenContacts.map((c) => c.number), ...numbers] },
      });
      await call(Promise.resolve(r));
      const where = r.response.headers.get('location') ?? '';
      const id = /\/bulk-messages\/([0-9a-f-]{36})$/.exec(where)?.[1];
      go(id ? `/bulk/history/${id}` : '/bulk/history');
    } catch (err) {
      const f = formErrors(err, FIELDS);
      // `to[3]` names a pasted number by its index among the numbers sent.
      setErrors(f.to ? { numbers: f.to } : f);
    } finally {
      setBusy(false);
    }
  };

  if (usable.length === 0) return <p class="notice">{t.t('compose.noChannel')}</p>;
  return (
    <form class="bulk-form" onSubmit={(e) => void submit(e)} noValidate>
      {errors.form ? <p class="form-error" role="alert">{errors.form}</p> : null}
      <SelectField label={t.t('compose.channel')} value={channelId} error={errors.channel} onChange={(e) => setPicked(e.currentTarget.value)}>
        {usable.map((c) => (
          <option key={c.id} value={c.id}>{c.sim_number}{tenant.value ? '' : ` — ${tenants.value.find((o) => o.id === c.holder_id)?.name ?? ''}`}</option>
        ))}
      </SelectField>
      <TextField label={t.t('compose.campaign')} hint={t.t('compose.campaignHint')} value={campaign} error={errors.campaign} onInput={(e) => setCampaign(e.currentTarget.value)} autoComplete="off" />
      <Field label={t.t('compose.text')} error={errors.text} hint={<SmsCounter text={text} id="bulk-counter" />}>
        {(a) => <textarea class="input" rows={4} {...a} value={text} onInput={(e) => setText(e.currentTarget.value)} />}
      </Field>
      <fieldset class="checks">
        <legend>{t.t('compose.lists')}</legend>
        {lists.length === 0 ? <span class="muted">{t.t('compose.noLists')}</span> : null}
        {lists.map((l) => (
          <label key={l.id} class="check">
            <input
              type="checkbox"
              checked={chosenLists.includes(l.id)}
              onChange={(e) => setChosenLists(e.currentTarget.checked ? [...chosenLists, l.id] : chosenLists.filter((x) => x !== l.id))}
            />
            <span>{t.t('compose.listOption', { name: l.name, count: l.members ?? 0 })}</span>
          </label>
        ))}
        {errors.lists ? <span class="field-error" role="alert">{errors.lists}</span> : null}
      </fieldset>
      <Field label={t.t('compose.contacts')} hint={t.t('compose.contactsHint')} error={errors.contacts || undefined}>
        {(a) => (
          <div class="inline-add">
            <input
              class="input"
              {...a}
              list="bulk-contacts"
              autoComplete="off"
              value={contactQuery}
              onInput={(e) => setContactQuery(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void addContact();
                }
              }}
              data-testid="bulk-contact"
            />
            <Button onClick={() => void addContact()}>{t.t('compose.addContact')}</Button>
          </div>
        )}
      </Field>
      <datalist id="bulk-contacts">
        {suggestions.map((c) => (
          <option key={c.id} value={label(c)} />
        ))}
      </datalist>
      {chosenContacts.length ? (
        <ul class="chips">
          {chosenContacts.map((c) => (
            <li key={c.id} class="chip">
              <span>{label(c)}</span>
              <IconButton icon="close" label={t.t('compose.removeContact', { name: c.name || c.number })} onClick={() => setChosenContacts(chosenContacts.filter((x) => x.id !== c.id))} />
            </li>
          ))}
        </ul>
      ) : null}
      <Field label={t.t('compose.numbers')} hint={t.t('compose.numbersHint')} error={errors.numbers}>
        {(a) => <textarea class="input mono" rows={5} {...a} value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} data-testid="bulk-numbers" />}
      </Field>
      {errors.to ? <p class="form-error" role="alert">{errors.to}</p> : null}
      <p class="muted" aria-live="polite">{t.t('compose.total', { count: total })}</p>
      {busy ? (
        <div class="import-progress">
          <progress aria-label={t.t('compose.progress')} />
          <span>{t.t('compose.sending')}</span>
        </div>
      ) : null}
      <div>
        <Button type="submit" variant="primary" icon="send" busy={busy} disabled={charCount(text) > HUB_MAX_CHARS}>{t.t('compose.send')}</Button>
      </div>
    </form>
  );
}
