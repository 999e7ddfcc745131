import { describe, expect, it } from 'vitest';
import { timeline } from './timeline';
import { fileNameOf } from './download';

describe('the downloaded file name', () => {
  it('reads the quoted, bare and UTF-8 forms of Content-Disposition', () => {
    expect(fileNameOf('attachment; filename="transcript-1.pdf"')).toBe('transcript-1.pdf');
    expect(fileNameOf('attachment; filename=report.xlsx')).toBe('report.xlsx');
    expect(fileNameOf("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv")).toBe('résumé.csv');
  });
  it('has none without the header or a name in it', () => {
    expect(fileNameOf(null)).toBeUndefined();
    expect(fileNameOf('inline')).toBeUndefined();
  });
});

describe('the thread timeline', () => {
  it('puts notes between the messages by time', () => {
    const m = (id: string, at: string) => ({ id, created_at: at }) as Parameters<typeof timeline>[0][number];
    const n = (id: string, at: string) => ({ id, created_at: at }) as Parameters<typeof timeline>[1][number];
    const out = timeline([m('m1', '2024-01-01T10:00:00Z'), m('m2', '2024-01-01T12:00:00Z')], [n('n1', '2024-01-01T11:00:00Z')]);
    expect(out.map((x) => x.m?.id ?? x.n?.id)).toEqual(['m1', 'n1', 'm2']);
  });
});
