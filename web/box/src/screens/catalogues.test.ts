import { catalogueProblems } from '@smsgate/shared/i18n/testing';
import { describe, expect, it } from 'vitest';
import { app, bars } from '../app/messages';
import { cloudMsg } from './cloud/messages';
import { dashboard } from './dashboard/messages';
import { diagMsg } from './diagnostics/Diagnostics';
import { patchOf } from './groups/Groups';
import { groupsMsg } from './groups/messages';
import { inboundMsg } from './inbound/Inbound';
import { portsMsg } from './ports/messages';
import { detailMsg } from './spool/details';
import { spoolMsg } from './spool/messages';

describe('every box string is translated', () => {
  it.each([app, dashboard, portsMsg, groupsMsg, spoolMsg, detailMsg, inboundMsg, cloudMsg, diagMsg].map((c) => [c.namespace, c] as const))('%s: French matches English key for key', (_n, c) => {
    expect(catalogueProblems(c)).toEqual([]);
  });
});

describe('signal bars', () => {
  it('turns dBm into 0 to 5 bars', () => {
    expect([null, -113, -105, -95, -85, -75, -51].map((d) => bars(d))).toEqual([0, 0, 1, 2, 3, 4, 5]);
  });
});

describe('a group patch', () => {
  const base = { ports: '0-3', strategy: 'round-robin', interval_ms: '1000', jitter_ms: '0', max_per_hour: '10', max_per_day: '', max_per_month: '', sending_hours: '08:00-20:00', timezone: 'UTC' };
  it('carries only the changed fields, numbers as numbers and emptied caps as null', () => {
    expect(patchOf(base, { ...base, interval_ms: '250', max_per_hour: '', sending_hours: '' })).toEqual({ interval_ms: 250, max_per_hour: null, sending_hours: null });
  });
  it('sends a non-number as typed so the gateway names the field', () => {
    expect(patchOf(base, { ...base, jitter_ms: 'abc' })).toEqual({ jitter_ms: 'abc' });
  });
});
