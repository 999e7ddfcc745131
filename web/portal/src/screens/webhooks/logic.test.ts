import { locale } from '@smsgate/shared/i18n/core';
import { afterEach, describe, expect, it } from 'vitest';
import { changes, eventLabel, formErrors, lastAnswer, stateBadge, SUBSCRIBABLE, testResult, toggleEvent, type Delivery, type Endpoint } from './logic';

const endpoint: Endpoint = {
  id: 'e1',
  org_id: 'o1',
  url: 'https://crm.example/hook',
  description: 'CRM',
  enabled: true,
  events: ['conversation.closed', 'message.received'],
  secret_prefix: 'whsec_0123ab',
  created_at: '2026-12-04T10:00:00Z',
  updated_at: '2026-12-04T10:00:00Z',
};

const delivery = (over: Partial<Delivery>): Delivery => ({
  id: 'd1',
  endpoint_id: 'e1',
  event_id: 'ev1',
  event_type: 'webhook.test',
  state: 'delivered',
  attempts: 1,
  created_at: '2026-12-04T10:00:00Z',
  last_status: 200,
  last_latency_ms: 12,
  log: [{ attempt: 1, at: '2026-12-04T10:00:00Z', status: 200, latency_ms: 12 }],
  ...over,
});

afterEach(() => {
  locale.value = 'en';
});

describe('the event checkboxes', () => {
  it('keep the form order whatever order they are ticked in', () => {
    let events = toggleEvent([], 'campaign.finished', true);
    events = toggleEvent(events, 'message.received', true);
    events = toggleEvent(events, 'message.received', true);
    expect(events).toEqual(['message.received', 'campaign.finished']);
    expect(toggleEvent(events, 'message.received', false)).toEqual(['campaign.finished']);
  });
  it('name every subscribable event in English and French', () => {
    expect(SUBSCRIBABLE).toHaveLength(6);
    for (const e of SUBSCRIBABLE) expect(eventLabel(e)).not.toContain(':');
    expect(eventLabel('conversation.assigned')).toBe('Conversation assigned');
    locale.value = 'fr';
    expect(eventLabel('conversation.assigned')).toBe('Conversation attribuée');
  });
});

describe('the endpoint form', () => {
  it('asks for an http(s) URL and at least one event', () => {
    expect(formErrors({ url: 'ftp://x.example', description: '', enabled: true, events: [] })).toEqual({
      url: 'Enter an http:// or https:// URL.',
      events: 'Choose at least one event.',
    });
    expect(formErrors({ url: 'not a url', description: '', enabled: true, events: ['opt_out.changed'] })).toHaveProperty('url');
    expect(formErrors({ url: ' https://crm.example/hook ', description: '', enabled: true, events: ['opt_out.changed'] })).toEqual({});
  });
  it('sends only what changed when editing', () => {
    const same = { url: endpoint.url, description: 'CRM', enabled: true, events: ['message.received', 'conversation.closed'] as Endpoint['events'] };
    expect(changes(endpoint, same)).toEqual({});
    expect(changes(endpoint, { ...same, enabled: false, events: ['message.received'] })).toEqual({ enabled: false, events: ['message.received'] });
    expect(changes(endpoint, { ...same, url: ' https://crm.example/v2 ' })).toEqual({ url: 'https://crm.example/v2' });
  });
});

describe('the delivery log and the test result', () => {
  it('say the last answer: its status, else its error', () => {
    expect(lastAnswer(delivery({}))).toBe('HTTP 200');
    expect(lastAnswer(delivery({ last_status: null, last_error: 'timed out' }))).toBe('timed out');
    expect(lastAnswer(delivery({ attempts: 0, last_status: null, last_error: null, log: [] }))).toBe('—');
    expect(stateBadge('delivered')).toBe('badge-success');
    expect(stateBadge('pending')).toBe('badge-warning');
    expect(stateBadge('failed')).toBe('badge-danger');
  });
  it('tells a delivered test from a refused one, in English and French', () => {
    expect(testResult(delivery({}))).toEqual({ ok: true, text: 'Test event delivered: HTTP 200 in 12 ms.' });
    const refused = delivery({ state: 'failed', last_status: null, log: [{ attempt: 1, at: '2026-12-04T10:00:00Z', latency_ms: 3, error: 'could not connect' }] });
    expect(testResult(refused)).toEqual({ ok: false, text: 'Test event not delivered: could not connect.' });
    locale.value = 'fr';
    expect(testResult(refused).text).toBe('Événement de test non livré : could not connect.');
  });
});
