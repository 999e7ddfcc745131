/**
 * The AT log panel's logic: lines from the gateway's ring (REST page or live `lines` events)
 * merged by sequence number — each kept once, oldest first, at most the ring's size — so a
 * reconnection that sends every kept line again adds nothing twice.
 */
import type { Schemas } from '../../api/box';

export type AtLine = Schemas['AtLine'];

/** Lines the panel keeps (the gateway's ring holds as many). */
export const AT_LOG_KEEP = 200;

export function mergeLines<T extends { seq: number }>(kept: readonly T[], incoming: readonly T[], keep = AT_LOG_KEEP): T[] {
  if (incoming.length === 0) return kept as T[];
  const bySeq = new Map<number, T>();
  for (const l of kept) bySeq.set(l.seq, l);
  for (const l of incoming) bySeq.set(l.seq, l);
  const all = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return all.length > keep ? all.slice(all.length - keep) : all;
}

/** The data of a `lines` event (`{"port","lines":[…]}`), or undefined when it is not one. */
export function parseLinesEvent(data: string): AtLine[] | undefined {
  try {
    const v = JSON.parse(data) as { lines?: unknown };
    return Array.isArray(v.lines) ? (v.lines as AtLine[]) : undefined;
  } catch {
    return undefined;
  }
}
