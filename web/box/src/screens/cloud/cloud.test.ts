import { setLocale } from '@smsgate/shared/i18n/core';
import { afterEach, describe, expect, it } from 'vitest';
import { problemWords, sortedProblems, stepWords } from './cloud';

afterEach(() => setLocale('en'));

describe('the cloud screen', () => {
  it('names the line and field of a snippet problem', () => {
    expect(problemWords({ field: 'keepalive_s', line: 7, message: 'invalid type' })).toBe('Line 7, keepalive_s: invalid type');
    expect(problemWords({ field: 'password', message: 'required with cloud.url' })).toBe('password: required with cloud.url');
    setLocale('fr');
    expect(problemWords({ field: 'url', line: 3, message: 'x' })).toBe('Ligne 3, url : x');
  });
  it('lists problems by line, those without one last', () => {
    expect(sortedProblems([{ message: 'a' }, { line: 5, message: 'b' }, { line: 2, message: 'c' }]).map((p) => p.message)).toEqual(['c', 'b', 'a']);
  });
  it('says what to check for each failed step, and something for an unknown one', () => {
    expect(stepWords('refused')).toContain('connection refused');
    expect(stepWords('credentials')).toContain('refused the login');
    expect(stepWords('dns')).toContain('DNS');
    expect(stepWords('tls')).toContain('TLS');
    expect(stepWords('new-step')).toBe('The connection failed.');
  });
});
