import { describe, expect, it } from 'vitest';
import { pastedNumbers } from './recipients';

describe('pasted bulk numbers', () => {
  it('splits lines, commas and semicolons and keeps spaces inside a number', () => {
    expect(pastedNumbers('+33 6 12 34 56 78\n+447700900123, 0612345678;\r\n\n')).toEqual(['+33 6 12 34 56 78', '+447700900123', '0612345678']);
  });
  it('splits numbers pasted on one line when each starts with + or 00', () => {
    expect(pastedNumbers('+33612345678 +447700900123 0033612345679')).toEqual(['+33612345678', '+447700900123', '0033612345679']);
  });
  it('gives nothing for blank input', () => {
    expect(pastedNumbers(' \n ,; ')).toEqual([]);
  });
});
