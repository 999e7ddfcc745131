/** The report's period as the hub's query, and the figures' formats (pure). */
import type { Schemas } from '../../api/hub';

export type QuickRange = Schemas['QuickRange'];
export type Table = Schemas['Table'];

export const QUICK: readonly QuickRange[] = ['today', 'yesterday', 'last7_days', 'last30_days', 'this_month'];
export const TABLES: readonly Table[] = ['summary', 'days', 'channels', 'queues', 'agents', 'failures'];

export type Period = { kind: 'quick'; range: QuickRange } | { kind: 'custom'; from: string; to: string };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Why a custom period is refused (`from`/`to` named), or `null`. */
export function periodProblem(p: Period): { field: 'from' | 'to'; kind: 'missing' | 'order' } | null {
  if (p.kind === 'quick') return null;
  if (!DATE.test(p.from)) return { field: 'from', kind: 'missing' };
  if (!DATE.test(p.to)) return { field: 'to', kind: 'missing' };
  if (p.from > p.to) return { field: 'to', kind: 'order' };
  return null;
}

/** The query string of `GET /reports` (and, with `format`, of its export). */
export function reportQuery(p: Period, tz: string, org: string | null, extra: Record<string, string> = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (org) q.set('org', org);
  if (p.kind === 'quick') q.set('range', p.range);
  else {
    q.set('from', p.from);
    q.set('to', p.to);
  }
  q.set('tz', tz);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

/** Seconds as `45 s`, `12 min 5 s`, `3 h 04 min`, `2 d 3 h`; `—` when there is no figure. */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  const v = Math.max(0, Math.round(s));
  if (v < 60) return `${v} s`;
  if (v < 3600) {
    const m = Math.floor(v / 60);
    const r = v % 60;
    return r ? `${m} min ${r} s` : `${m} min`;
  }
  if (v < 86400) {
    const h = Math.floor(v / 3600);
    const m = Math.floor((v % 3600) / 60);
    return `${h} h ${String(m).padStart(2, '0')} min`;
  }
  const d = Math.floor(v / 86400);
  const h = Math.floor((v % 86400) / 3600);
  return `${d} d ${h} h`;
}

/** The largest value of a chart's series (at least 1, so an empty chart has a scale). */
export function scaleMax(values: Iterable<number>): number {
  let m = 1;
  for (const v of values) if (v > m) m = v;
  return m;
}
