/** The webhooks screen's rules, without the DOM (tested by `logic.test.ts`). */
import type { Schemas } from '../../api/hub';
import { webhooksText as t } from './messages';

export type EventType = Schemas['EventType'];
export type Endpoint = Schemas['Endpoint'];
export type Delivery = Schemas['Delivery'];

/** The events an endpoint may subscribe to, in the order the form lists them. */
export const SUBSCRIBABLE: readonly EventType[] = [
  'message.received',
  'message.status_changed',
  'conversation.assigned',
  'conversation.closed',
  'opt_out.changed',
  'campaign.finished',
];

/** An event type's name in the current language. */
export function eventLabel(e: EventType): string {
  return t.t(`eventType.${e.replace('.', '_')}` as never);
}

/** `events` with `e` added (in the form's order) or removed. */
export function toggleEvent(events: readonly EventType[], e: EventType, on: boolean): EventType[] {
  const set = new Set(events);
  if (on) set.add(e);
  else set.delete(e);
  return SUBSCRIBABLE.filter((x) => set.has(x));
}

export interface EndpointForm {
  url: string;
  description: string;
  enabled: boolean;
  events: EventType[];
}

/** The form's errors by field (empty: it may be sent; the hub checks again). */
export function formErrors(f: EndpointForm): Record<string, string> {
  const errors: Record<string, string> = {};
  let ok = false;
  try {
    const u = new URL(f.url.trim());
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) errors.url = t.t('badUrl');
  if (f.events.length === 0) errors.events = t.t('chooseEvent');
  return errors;
}

/** What a PATCH must carry to turn `before` into `after` (only the changed fields). */
export function changes(before: Endpoint, after: EndpointForm): Partial<EndpointForm> {
  const out: Partial<EndpointForm> = {};
  if (after.url.trim() !== before.url) out.url = after.url.trim();
  if (after.description.trim() !== before.description) out.description = after.description.trim();
  if (after.enabled !== before.enabled) out.enabled = after.enabled;
  if (after.events.join() !== SUBSCRIBABLE.filter((e) => before.events.includes(e)).join()) out.events = after.events;
  return out;
}

/** The last attempt's answer in a few words: `HTTP 200`, or its error. */
export function lastAnswer(d: Delivery): string {
  if (d.last_status != null) return `HTTP ${d.last_status}`;
  return d.last_error ?? (d.attempts === 0 ? '—' : t.t('noAnswer'));
}

/** The toast after "Send test event". */
export function testResult(d: Delivery): { text: string; ok: boolean } {
  const a = d.log[d.log.length - 1];
  if (d.state === 'delivered' && a) return { ok: true, text: t.t('testOk', { status: String(a.status ?? ''), ms: String(a.latency_ms) }) };
  return { ok: false, text: t.t('testFailed', { error: a?.error ?? t.t('noAnswer') }) };
}

/** The badge class of a delivery state. */
export function stateBadge(s: Delivery['state']): string {
  return s === 'delivered' ? 'badge-success' : s === 'failed' ? 'badge-danger' : 'badge-warning';
}
