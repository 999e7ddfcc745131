import { describe, expect, it } from 'vitest';
import { formatSeconds, periodProblem, reportQuery, scaleMax } from './query';

describe('the report period', () => {
  it('asks a quick choice by name, a custom period by its days, in the browser zone', () => {
    expect(reportQuery({ kind: 'quick', range: 'last7_days' }, 'Europe/Paris', null).toString()).toBe('range=last7_days&tz=Europe%2FParis');
    expect(reportQuery({ kind: 'custom', from: '2024-03-01', to: '2024-03-31' }, 'UTC', 'org-1', { format: 'xlsx' }).toString()).toBe('org=org-1&from=2024-03-01&to=2024-03-31&tz=UTC&format=xlsx');
  });
  it('names the missing or misordered day', () => {
    expect(periodProblem({ kind: 'custom', from: '', to: '2024-03-01' })).toEqual({ field: 'from', kind: 'missing' });
    expect(periodProblem({ kind: 'custom', from: '2024-03-01', to: '' })).toEqual({ field: 'to', kind: 'missing' });
    expect(periodProblem({ kind: 'custom', from: '2024-03-02', to: '2024-03-01' })).toEqual({ field: 'to', kind: 'order' });
    expect(periodProblem({ kind: 'custom', from: '2024-03-01', to: '2024-03-01' })).toBeNull();
    expect(periodProblem({ kind: 'quick', range: 'today' })).toBeNull();
  });
});

describe('the figures', () => {
  it('write durations for people', () => {
    expect(formatSeconds(null)).toBe('—');
    expect(formatSeconds(45)).toBe('45 s');
    expect(formatSeconds(725)).toBe('12 min 5 s');
    expect(formatSeconds(600)).toBe('10 min');
    expect(formatSeconds(3 * 3600 + 4 * 60)).toBe('3 h 04 min');
    expect(formatSeconds(2 * 86400 + 3 * 3600)).toBe('2 d 3 h');
  });
  it('scale a chart to its largest value, at least 1', () => {
    expect(scaleMax([])).toBe(1);
    expect(scaleMax([3, 9, 2])).toBe(9);
  });
});
