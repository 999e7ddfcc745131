import { describe, expect, it } from 'vitest';
import vectors from './segments.vectors.json';
import { charCount, countSegments, isGsm7, splitSegments } from './segments';

describe('the segment counter agrees with the Rust PDU encoder', () => {
  for (const v of vectors.vectors) {
    const label = JSON.stringify(v.text.length > 24 ? `${v.text.slice(0, 24)}…(${charCount(v.text)})` : v.text);
    it(`${label} is ${v.encoding} in ${v.parts.length} part(s)`, () => {
      const c = countSegments(v.text);
      expect(c.encoding).toBe(v.encoding);
      expect(c.parts).toBe(v.parts.length);
      expect(splitSegments(v.text)).toEqual(v.parts);
    });
  }
});

describe('countSegments', () => {
  it('counts an extension character as two septets', () => {
    expect(countSegments('€').units).toBe(2);
    expect(countSegments('a'.repeat(159) + '€').parts).toBe(2);
  });
  it('counts an emoji as two UTF-16 units', () => {
    const c = countSegments('😀');
    expect(c.encoding).toBe('ucs2');
    expect(c.units).toBe(2);
    expect(c.chars).toBe(1);
  });
  it('tells how many units are left in the last part', () => {
    expect(countSegments('Hello').remaining).toBe(155);
    expect(countSegments('a'.repeat(161)).remaining).toBe(153 - 8);
    expect(countSegments('ж'.repeat(71)).remaining).toBe(67 - 4);
  });
  it('names each character that forces UCS-2 once', () => {
    expect(countSegments('ça ça ê').nonGsm).toEqual(['ç', 'ê']);
    expect(countSegments('plain').nonGsm).toEqual([]);
  });
  it('treats an empty text as one empty part', () => {
    expect(countSegments('')).toMatchObject({ parts: 1, units: 0, remaining: 160 });
  });
  it('recognises the GSM-7 alphabet', () => {
    expect(isGsm7('Ça va? Ñ ß')).toBe(true);
    expect(isGsm7('ça')).toBe(false);
  });
});
