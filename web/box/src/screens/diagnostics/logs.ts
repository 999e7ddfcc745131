/**
 * The recent-logs panel's logic: the gateway's log lines (secrets already masked by the
 * gateway) merged by sequence number, and the filter "warnings and errors only".
 */
import type { Schemas } from '../../api/box';
import { mergeLines } from '../ports/atlog';

export type LogLine = Schemas['LogLine'];

/** Lines the panel keeps (the gateway's ring holds as many). */
export const LOG_KEEP = 500;

const RANK: Partial<Record<string, number>> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
const WARN = 3;

/** `kept` with `incoming` added, each line once, oldest first. */
export function mergeLogs(kept: readonly LogLine[], incoming: readonly LogLine[]): LogLine[] {
  return mergeLines(kept, incoming, LOG_KEEP);
}

/** The lines to show: all, or only warnings and errors. */
export function visibleLogs(lines: readonly LogLine[], problemsOnly: boolean): LogLine[] {
  return problemsOnly ? lines.filter((l) => (RANK[l.level] ?? 2) >= WARN) : [...lines];
}

/** The CSS state class of a level (errors red, warnings amber). */
export function levelClass(level: string): string {
  if (level === 'ERROR') return 'state-failed';
  if (level === 'WARN') return 'state-benched';
  return 'state-off';
}
