import { describe, expect, it } from 'vitest';
import { levelClass, mergeLogs, visibleLogs, type LogLine } from './logs';

const line = (seq: number, level: string): LogLine => ({ seq, level, at: '2026-12-02T09:00:00Z', target: 't', text: `line ${seq}` });

describe('recent logs', () => {
  it('keeps each line once, oldest first, when a page repeats lines', () => {
    const kept = mergeLogs([], [line(1, 'INFO'), line(2, 'WARN')]);
    expect(mergeLogs(kept, [line(2, 'WARN'), line(3, 'ERROR')]).map((l) => l.seq)).toEqual([1, 2, 3]);
  });
  it('shows only warnings and errors when asked', () => {
    const all = [line(1, 'INFO'), line(2, 'WARN'), line(3, 'ERROR'), line(4, 'DEBUG')];
    expect(visibleLogs(all, true).map((l) => l.seq)).toEqual([2, 3]);
    expect(visibleLogs(all, false)).toHaveLength(4);
  });
  it('marks errors and warnings', () => {
    expect([levelClass('ERROR'), levelClass('WARN'), levelClass('INFO')]).toEqual(['state-failed', 'state-benched', 'state-off']);
  });
});
