/**
 * Fields the new-campaign form and the edit form share: the dial string, the message and the
 * schedule, each showing the hub's refusal of its field (the same checks at creation and edit).
 */
import { Field, TextField } from '@smsgate/shared/components/Field';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import type { Schemas } from '../../api/hub';
import { TimeOfDayField } from '../kit/hours';
import { TimeZoneField } from '../kit/TimeZoneField';
import { campaignsText as t } from './messages';

type Day = Schemas['Day'];
export const DAYS: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The hub's error on `field` (or on one inside it: `schedule.to`), if that is where it is. */
export type FieldError = (field: string) => string | undefined;

/** A schedule as the form edits it (dates empty when not set). */
export interface ScheduleForm {
  timezone: string;
  from: string;
  to: string;
  days: Day[];
  startDate: string;
  endDate: string;
}

export function scheduleBody(s: ScheduleForm): Schemas['Schedule'] {
  return { timezone: s.timezone, from: s.from, to: s.to, days: s.days, start_date: s.startDate || null, end_date: s.endDate || null };
}

export function scheduleForm(s: Schemas['Schedule']): ScheduleForm {
  return {
    timezone: s.timezone ?? 'UTC',
    from: s.from ?? '00:00',
    to: s.to ?? '24:00',
    days: s.days ?? [],
    startDate: s.start_date ?? '',
    endDate: s.end_date ?? '',
  };
}

export function DialStringField({ value, error, onInput }: { value: string; error: string | undefined; onInput: (v: string) => void }): JSX.Element {
  return <TextField label={t.t('form.dialString')} hint={t.t('form.dialStringHint')} value={value} placeholder="(0.3)" error={error} onInput={(e) => onInput(e.currentTarget.value)} />;
}

export function TemplateField({ value, error, onInput }: { value: string; error: string | undefined; onInput: (v: string) => void }): JSX.Element {
  return (
    <Field
      label={t.t('form.template')}
      hint={
        <>
          {t.t('form.templateHint')} <code>{'{{first_name}}'}</code>
        </>
      }
      error={error}
    >
      {(a) => <textarea class="input" rows={3} value={value} required onInput={(e) => onInput(e.currentTarget.value)} {...a} />}
    </Field>
  );
}

/**
 * A `YYYY-MM-DD` day written out in the portal's language (the browser draws a date field in
 * its own locale, which may not be the one the user chose): "Tuesday 1 December 2026".
 */
export function dayInWords(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return '';
  // Noon UTC shown in UTC: the same calendar day whatever the browser's zone.
  return formatDateTime(`${day}T12:00:00Z`, { dateStyle: 'full', timeZone: 'UTC' });
}

export function ScheduleFields({ value, fieldError, onChange }: { value: ScheduleForm; fieldError: FieldError; onChange: (s: ScheduleForm) => void }): JSX.Element {
  const set = (patch: Partial<ScheduleForm>) => onChange({ ...value, ...patch });
  return (
    <fieldset class="campaign-schedule">
      <legend>{t.t('dash.window')}</legend>
      <TimeZoneField label={t.t('form.timezone')} hint={t.t('form.timezoneHint')} value={value.timezone} error={fieldError('schedule.timezone')} onInput={(timezone) => set({ timezone })} />
      <TimeOfDayField label={t.t('form.from')} value={value.from} error={fieldError('schedule.from')} onInput={(from) => set({ from })} />
      <TimeOfDayField label={t.t('form.to')} endOfDay value={value.to} error={fieldError('schedule.to')} onInput={(to) => set({ to })} />
      <TextField label={t.t('form.startDate')} type="date" hint={dayInWords(value.startDate) || undefined} value={value.startDate} error={fieldError('schedule.start_date')} onInput={(e) => set({ startDate: e.currentTarget.value })} />
      <TextField label={t.t('form.endDate')} type="date" hint={dayInWords(value.endDate) || undefined} value={value.endDate} error={fieldError('schedule.end_date')} onInput={(e) => set({ endDate: e.currentTarget.value })} />
      <div class="campaign-days" role="group" aria-label={t.t('form.days')}>
        {DAYS.map((d) => (
          <label key={d} class="checkbox">
            <input type="checkbox" checked={value.days.includes(d)} onChange={(e) => set({ days: e.currentTarget.checked ? [...value.days, d] : value.days.filter((x) => x !== d) })} />
            {t.t(`days.${d}`)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
