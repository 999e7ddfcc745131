import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, call } from '../../api/hub';
import { loadContacts } from '../../app/directory';
import { inboxText as t } from './messages';

/** Adds the conversation's number to the tenant's contacts. */
export function AddContactDialog({ orgId, number, onClose }: { orgId: string; number: string; onClose: () => void }): JSX.Element {
  const [form, setForm] = useState({ number, name: '', business: '', email: '', notes: '' });
  const [error, setError] = useState<{ field?: string | undefined; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(api.POST('/api/v1/contacts', { body: { org: orgId, ...form } }));
      await loadContacts();
      toast(t.t('contact.added'), 'success');
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? { field: err.field, message: err.kind === 'network' ? common.t('errors.network') : err.message } : { message: String(err) });
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (f: string) => (error?.field === f ? error.message : undefined);
  return (
    <Dialog
      open
      title={t.t('contact.title')}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{common.t('actions.cancel')}</Button>
          <Button type="submit" variant="primary" busy={busy} form="add-contact">{t.t('contact.submit')}</Button>
        </>
      }
    >
      <form id="add-contact" onSubmit={submit}>
        {error && !error.field ? <p class="form-error" role="alert">{error.message}</p> : null}
        <TextField label={t.t('contact.number')} value={form.number} required error={fieldError('number')} onInput={set('number')} />
        <TextField label={t.t('contact.name')} value={form.name} autoComplete="off" error={fieldError('name')} onInput={set('name')} />
        <TextField label={t.t('contact.business')} value={form.business} error={fieldError('business')} onInput={set('business')} />
        <TextField label={t.t('contact.email')} type="email" value={form.email} error={fieldError('email')} onInput={set('email')} />
        <TextField label={t.t('contact.notes')} value={form.notes} error={fieldError('notes')} onInput={set('notes')} />
      </form>
    </Dialog>
  );
}
