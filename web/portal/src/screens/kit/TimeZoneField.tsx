/** A time zone field offering every IANA zone the browser knows, typed or picked. */
import { TextField } from '@smsgate/shared/components/Field';
import type { JSX } from 'preact';
import { useId } from 'preact/hooks';

/** Every IANA time zone the browser knows (empty where it cannot list them). */
export function timeZones(): readonly string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };
  return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
}

/** The browser's own zone, for a new form's default. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function TimeZoneField({ label, hint, value, error, onInput }: { label: string; hint?: string; value: string; error: string | undefined; onInput: (v: string) => void }): JSX.Element {
  const zones = `${useId()}-zones`;
  return (
    <>
      <TextField label={label} hint={hint} list={zones} autocomplete="off" value={value} error={error} onInput={(e) => onInput(e.currentTarget.value)} />
      <datalist id={zones}>
        {timeZones().map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    </>
  );
}
