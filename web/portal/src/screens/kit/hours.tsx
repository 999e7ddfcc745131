/**
 * Opening hours as the hub keeps them for a queue or a channel: a time zone, open intervals per
 * weekday and the reply sent outside them. Each field shows the hub's refusal of it
 * (`hours.intervals[2].close: must be after open`).
 */
import { IconButton, Button } from '@smsgate/shared/components/Button';
import { Field, SelectField, TextField } from '@smsgate/shared/components/Field';
import type { JSX } from 'preact';
import type { Schemas } from '../../api/hub';
import { campaignsText } from '../campaigns/messages';
import { hoursText as t } from './hoursMessages';
import { browserTimeZone, TimeZoneField } from './TimeZoneField';

type OpeningHours = Schemas['OpeningHours'];
type Day = Schemas['Day'];
const DAYS: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The hub's error on a field by its full name (`hours.timezone`), if that is where it is. */
export type FieldError = (field: string) => string | undefined;

const TIME = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** Whether `s` is a time of day the hub takes (`24:00` only where `endOfDay`). */
export function isTimeOfDay(s: string, endOfDay = false): boolean {
  return TIME.test(s) && (endOfDay || s !== '24:00');
}

/**
 * A time of day as text (`HH:MM`): the browser's time input cannot hold `24:00`, which the hub
 * takes as the end of a day, and draws the time in its own locale's 12/24-hour habit.
 */
export function TimeOfDayField({ label, value, endOfDay, quiet, error, onInput }: { label: string; value: string; endOfDay?: boolean; quiet?: boolean; error: string | undefined; onInput: (v: string) => void }): JSX.Element {
  const bad = value !== '' && !isTimeOfDay(value, endOfDay ?? false);
  return (
    <TextField
      label={label}
      hint={quiet ? undefined : endOfDay ? t.t('closeHint') : t.t('timeHint')}
      class="input input-time"
      inputMode="numeric"
      autocomplete="off"
      placeholder="09:00"
      maxLength={5}
      value={value}
      error={error ?? (bad ? t.t('badTime') : undefined)}
      onInput={(e) => onInput(e.currentTarget.value.trim())}
    />
  );
}

/** New hours: the browser's zone, weekdays 09:00–18:00 and the default reply. */
export function defaultHours(): OpeningHours {
  return { timezone: browserTimeZone(), intervals: weekdays(), reply: t.t('defaultReply') };
}

function weekdays(): OpeningHours['intervals'] {
  return DAYS.slice(0, 5).map((day) => ({ day, open: '09:00', close: '18:00' }));
}

/** Whether every time in `h` is well formed (the hub checks the rest). */
export function hoursReady(h: OpeningHours | null): boolean {
  return h === null || h.intervals.every((i) => isTimeOfDay(i.open) && isTimeOfDay(i.close, true));
}

export function HoursEditor({ value, fieldError, onChange }: { value: OpeningHours | null; fieldError: FieldError; onChange: (h: OpeningHours | null) => void }): JSX.Element {
  const set = (patch: Partial<OpeningHours>) => value && onChange({ ...value, ...patch });
  const setInterval = (i: number, patch: Partial<OpeningHours['intervals'][number]>) => value && set({ intervals: value.intervals.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  return (
    <fieldset class="hours-editor">
      <legend>{t.t('legend')}</legend>
      <label class="check">
        <input type="checkbox" checked={value !== null} onChange={(e) => onChange(e.currentTarget.checked ? defaultHours() : null)} />
        <span>{t.t('restrict')}</span>
      </label>
      {value ? (
        <>
          <TimeZoneField label={t.t('timezone')} hint={t.t('timezoneHint')} value={value.timezone} error={fieldError('hours.timezone')} onInput={(timezone) => set({ timezone })} />
          <div role="group" aria-label={t.t('intervals')} class="hours-intervals">
            <p class="field-hint">{value.intervals.length === 0 ? t.t('none') : `${t.t('timeHint')}; ${t.t('closeHint')}.`}</p>
            {value.intervals.map((iv, i) => (
              <div key={i} class="hours-row" role="group" aria-label={t.t('interval', { n: i + 1 })}>
                <SelectField label={t.t('day')} value={iv.day} onChange={(e) => setInterval(i, { day: e.currentTarget.value as Day })}>
                  {DAYS.map((d) => (
                    <option key={d} value={d}>
                      {campaignsText.t(`days.${d}`)}
                    </option>
                  ))}
                </SelectField>
                <TimeOfDayField label={t.t('open')} quiet value={iv.open} error={fieldError(`hours.intervals[${i}].open`)} onInput={(open) => setInterval(i, { open })} />
                <TimeOfDayField label={t.t('close')} quiet endOfDay value={iv.close} error={fieldError(`hours.intervals[${i}].close`)} onInput={(close) => setInterval(i, { close })} />
                <IconButton icon="trash" label={t.t('remove', { n: i + 1 })} onClick={() => set({ intervals: value.intervals.filter((_, j) => j !== i) })} />
              </div>
            ))}
            <div class="hours-actions">
              <Button icon="plus" onClick={() => set({ intervals: [...value.intervals, { day: 'mon', open: '09:00', close: '18:00' }] })}>
                {t.t('add')}
              </Button>
              <Button onClick={() => set({ intervals: weekdays() })}>{t.t('weekdays')}</Button>
            </div>
          </div>
          <Field label={t.t('reply')} hint={t.t('replyHint')} error={fieldError('hours.reply')}>
            {(a) => <textarea class="input" rows={2} value={value.reply} onInput={(e) => set({ reply: e.currentTarget.value })} {...a} />}
          </Field>
        </>
      ) : null}
    </fieldset>
  );
}
