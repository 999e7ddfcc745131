/**
 * Editing a draft or paused campaign: its message, pace, dial string and schedule. The hub checks
 * them as at creation (the dial string against the campaign's channels, the message against
 * every waiting recipient) and its refusal shows on the field it names.
 */
import { Button } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, call } from '../../api/hub';
import type { CampaignView } from './Campaigns';
import { errorText } from './Campaigns';
import { DialStringField, ScheduleFields, scheduleBody, scheduleForm, TemplateField, type ScheduleForm } from './fields';
import { campaignsText as t } from './messages';

/** The states in which the hub takes an edit. */
export const EDITABLE: readonly string[] = ['draft', 'paused'];

export function EditCampaign({ view, onSaved, onClose }: { view: CampaignView; onSaved: (v: CampaignView) => void; onClose: () => void }): JSX.Element {
  const c = view.campaign;
  const [template, setTemplate] = useState(c.template);
  const [interval, setInterval] = useState(String(c.interval_ms));
  const [dialString, setDialString] = useState(c.dial_string ?? '');
  const [schedule, setSchedule] = useState<ScheduleForm>(() => scheduleForm(c.schedule));
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  // As at creation: the ports matter with several channels (or to clear one set before).
  const withDialString = c.channels.length > 1 || Boolean(c.dial_string);
  const fieldError = (f: string) => (error?.field?.startsWith(f) ? error.message : undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const v = await call(
        api.PATCH('/api/v1/campaigns/{id}', {
          params: { path: { id: c.id } },
          body: {
            template,
            interval_ms: Number(interval) || 0,
            schedule: scheduleBody(schedule),
            // Empty: every channel again.
            ...(withDialString ? { dial_string: dialString.trim() } : {}),
          },
        }),
      );
      onSaved(v);
    } catch (err) {
      setError(err instanceof ApiError ? { field: err.field ?? undefined, message: err.message } : { message: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card campaign-form" data-testid="campaign-edit" onSubmit={submit} aria-labelledby="edit-campaign-title">
      <h2 id="edit-campaign-title">{t.t('edit.title')}</h2>
      <p class="field-hint">{t.t('edit.hint')}</p>
      {error && !error.field ? <p class="notice notice-error" role="alert">{error.message}</p> : null}
      {withDialString ? <DialStringField value={dialString} error={fieldError('dial_string')} onInput={setDialString} /> : null}
      <TemplateField value={template} error={fieldError('template')} onInput={setTemplate} />
      <TextField label={t.t('form.interval')} type="number" min={0} value={interval} error={fieldError('interval_ms')} onInput={(e) => setInterval(e.currentTarget.value)} />
      <ScheduleFields value={schedule} fieldError={fieldError} onChange={setSchedule} />
      <div class="campaign-edit-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {t.t('edit.submit')}
        </Button>
        <Button variant="ghost" onClick={onClose}>
          {t.t('edit.cancel')}
        </Button>
      </div>
    </form>
  );
}
