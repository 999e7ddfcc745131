import { afterEach, describe, expect, it } from 'vitest';
import { common } from './common';
import { catalogueProblems } from './testing';
import { defineMessages, formatDateTime, formatListTime, formatNumber, locale, missingKeys, negotiateLocale, placeholders, setLocale, type Messages } from './core';

afterEach(() => setLocale('en'));

describe('i18n core', () => {
  const demo = defineMessages('demo', {
    en: { hello: 'Hello {name}', items_one: '{count} item', items_other: '{count} items', nested: { deep: 'Deep' } },
    fr: { hello: 'Bonjour {name}', items_one: '{count} élément', items_other: '{count} éléments', nested: { deep: 'Profond' } },
  });

  it('interpolates parameters and follows the locale without reload', () => {
    expect(demo.t('hello', { name: 'Ana' })).toBe('Hello Ana');
    setLocale('fr');
    expect(locale.value).toBe('fr');
    expect(demo.t('hello', { name: 'Ana' })).toBe('Bonjour Ana');
    expect(document.documentElement.lang).toBe('fr');
  });

  it('chooses plural forms with the locale rules', () => {
    expect(demo.t('items', { count: 1 })).toBe('1 item');
    expect(demo.t('items', { count: 2 })).toBe('2 items');
    setLocale('fr');
    // French uses the singular for 0 and 1.
    expect(demo.t('items', { count: 0 })).toBe('0 élément');
    expect(demo.t('items', { count: 1500 })).toMatch(/^1\s?500 éléments$/u);
  });

  it('resolves nested keys', () => {
    expect(demo.t('nested.deep')).toBe('Deep');
  });

  it('negotiates a shipped locale from the browser languages', () => {
    expect(negotiateLocale(['fr-CA', 'en'])).toBe('fr');
    expect(negotiateLocale(['de-DE'])).toBe('en');
    expect(negotiateLocale(['EN-gb'])).toBe('en');
  });

  it('refuses an unknown locale', () => {
    expect(() => setLocale('xx')).toThrow(/unknown locale/);
  });

  it('finds missing and empty translations', () => {
    const en: Messages = { a: 'A', b: { c: 'C', d: 'D' } };
    expect(missingKeys(en, { a: '', b: { c: 'C' } })).toEqual(['a', 'b.d']);
  });

  it('formats dates and numbers in the user locale', () => {
    const d = new Date('2024-03-05T14:07:00Z');
    expect(formatNumber(1234.5, undefined, 'fr')).toMatch(/^1\s234,5$/u);
    expect(formatNumber(1234.5, undefined, 'en')).toBe('1,234.5');
    expect(formatDateTime(d, { dateStyle: 'short', timeZone: 'UTC' }, 'fr')).toBe('05/03/2024');
    expect(formatDateTime(d, { dateStyle: 'short', timeZone: 'UTC' }, 'en')).toBe('3/5/24');
    expect(formatDateTime('not a date')).toBe('');
  });

  it('labels list times like a messaging app', () => {
    const now = new Date(2024, 2, 5, 18, 0);
    expect(formatListTime(new Date(2024, 2, 5, 9, 30), now, 'en')).toMatch(/9:30/);
    expect(formatListTime(new Date(2024, 2, 3, 9, 30), now, 'en')).toBe('Sun');
    expect(formatListTime(new Date(2023, 11, 24), now, 'fr')).toBe('24/12/2023');
  });
});

describe('the common catalogue', () => {
  it('is translated into French, key for key, with the same placeholders', () => {
    expect(catalogueProblems(common)).toEqual([]);
  });
  it('is checked: a missing key and a wrong placeholder are found', () => {
    const bad = defineMessages('bad', { en: { a: 'A {x}', b: 'B' }, fr: { a: 'A {y}', b: '' } });
    expect(catalogueProblems(bad)).toEqual([
      { locale: 'fr', key: 'b', problem: 'missing' },
      { locale: 'fr', key: 'a', problem: 'placeholders' },
    ]);
  });
});
