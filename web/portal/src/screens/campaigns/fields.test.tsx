import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import { timeZones } from '../kit/TimeZoneField';
import { dayInWords, ScheduleFields, scheduleForm } from './fields';

afterEach(() => {
  document.body.innerHTML = '';
  setLocale('en');
});

describe('the schedule fields', () => {
  it('write a chosen day out in the portal language, whatever the browser draws in the date field', () => {
    setLocale('fr');
    expect(dayInWords('2026-12-01')).toBe('mardi 1 décembre 2026');
    setLocale('en');
    expect(dayInWords('2026-12-01')).toContain('December');
    expect(dayInWords('')).toBe('');
    expect(dayInWords('12/01/2026')).toBe('');
  });

  it('offer the browser time zones to choose from and name the hub refusal on the field', () => {
    const root = document.createElement('div');
    document.body.append(root);
    const value = scheduleForm({ timezone: 'Mars/Olympus', from: '09:00', to: '18:00', days: ['mon'], start_date: '2026-12-01', end_date: null });
    render(<ScheduleFields value={value} fieldError={(f) => (f === 'schedule.timezone' ? 'schedule.timezone: unknown time zone Mars/Olympus' : undefined)} onChange={() => {}} />, root);
    const zone = root.querySelector<HTMLInputElement>('input[list]');
    expect(zone?.value).toBe('Mars/Olympus');
    const list = root.querySelector(`datalist#${CSS.escape(zone?.getAttribute('list') ?? '')}`);
    expect(list?.querySelectorAll('option').length).toBe(timeZones().length);
    expect(zone?.getAttribute('aria-invalid')).toBe('true');
    expect(root.textContent).toContain('unknown time zone Mars/Olympus');
    expect(root.textContent).toContain('Tuesday, December 1, 2026');
  });
});
