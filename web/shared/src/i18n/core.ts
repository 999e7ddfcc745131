/**
 * Translation core: a locale signal, catalogues defined per namespace (one per screen module), a
 * typed translator per namespace, and locale-aware formatting of dates and numbers.
 *
 * - A catalogue is a nested object of strings; English is the reference, and every other locale
 *   must have exactly the same keys (`Translation<typeof en>` makes a missing key a type error,
 *   and `missingKeys` lets a unit test prove it at run time too).
 * - `{name}` in a string is replaced by a parameter; a key with `_one`/`_other` (and `_zero`,
 *   `_two`, `_few`, `_many`) variants is chosen with `Intl.PluralRules` from the `count` param.
 * - Components that call `t(...)` during render re-render when the locale changes, because `t`
 *   reads the locale signal: switching language needs no reload.
 * - Adding a language: add it to `LOCALES` and give each catalogue a translation.
 */
import { signal, type Signal } from '@preact/signals';

export interface LocaleInfo {
  /** BCP 47 tag, also the catalogue key. */
  code: string;
  /** The language's own name, as shown in the language menu. */
  name: string;
}

/** Languages the front ends ship. The first is the reference and the fallback. */
export const LOCALES = [
  { code: 'en', name: 'English' },
  { code: 'fr', name: 'Français' },
] as const satisfies readonly LocaleInfo[];

export type Locale = (typeof LOCALES)[number]['code'];

export const DEFAULT_LOCALE: Locale = 'en';

/** A nested catalogue of strings. */
export interface Messages {
  readonly [key: string]: string | Messages;
}

/** The same keys as `T`, every leaf a string: what a translation of `T` must provide. */
export type Translation<T> = { readonly [K in keyof T]: T[K] extends string ? string : Translation<T[K]> };

type PluralSuffix = '_zero' | '_one' | '_two' | '_few' | '_many' | '_other';
type StripPlural<K extends string> = K extends `${infer B}${PluralSuffix}` ? B : K;

/** Dotted paths to the leaves of a catalogue, plural variants folded into their base key. */
export type MessageKey<T> = {
  [K in keyof T & string]: T[K] extends string ? StripPlural<K> : `${K}.${MessageKey<T[K]>}`;
}[keyof T & string];

export type Params = Record<string, string | number>;

export type Translator<T> = (key: MessageKey<T>, params?: Params) => string;

function isLocale(code: string): code is Locale {
  return LOCALES.some((l) => l.code === code);
}

/** The best shipped locale for a list of preferred languages (e.g. `navigator.languages`). */
export function negotiateLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (isLocale(lower)) return lower;
    const base = lower.split('-')[0] ?? '';
    if (isLocale(base)) return base;
  }
  return DEFAULT_LOCALE;
}

const STORAGE_KEY = 'smsgate.locale';

function initialLocale(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved && isLocale(saved)) return saved;
  } catch {
    // storage may be disabled
  }
  const langs = globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? DEFAULT_LOCALE];
  return negotiateLocale(langs);
}

/** The current locale. Read it in render to follow changes. */
export const locale: Signal<Locale> = signal(initialLocale());

function applyDocumentLang(code: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = code;
}
applyDocumentLang(locale.value);

/** Switches the language everywhere, without reload, and remembers the choice. */
export function setLocale(code: string): void {
  if (!isLocale(code)) throw new Error(`unknown locale ${code}`);
  locale.value = code;
  applyDocumentLang(code);
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, code);
  } catch {
    // not remembered; still switched
  }
}

function lookup(messages: Messages, path: string): string | Messages | undefined {
  let node: string | Messages | undefined = messages;
  for (const part of path.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return node;
}

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralCategory(code: string, n: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(code);
  if (!rules) {
    rules = new Intl.PluralRules(code);
    pluralRules.set(code, rules);
  }
  return rules.select(n);
}

function interpolate(text: string, params: Params | undefined, code: string): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    return typeof v === 'number' ? formatNumber(v, undefined, code) : v;
  });
}

/** Resolves one key in one catalogue (no fallback); `undefined` when missing. */
export function resolve(messages: Messages, key: string, params: Params | undefined, code: string): string | undefined {
  const count = params?.count;
  if (typeof count === 'number') {
    const exact = count === 0 ? lookup(messages, `${key}_zero`) : undefined;
    const variant = exact ?? lookup(messages, `${key}_${pluralCategory(code, count)}`) ?? lookup(messages, `${key}_other`);
    if (typeof variant === 'string') return interpolate(variant, params, code);
  }
  const plain = lookup(messages, key);
  return typeof plain === 'string' ? interpolate(plain, params, code) : undefined;
}

export interface Catalogue<T extends Messages> {
  namespace: string;
  translations: { en: T } & { readonly [L in Exclude<Locale, 'en'>]: Translation<T> };
  /** The translator, typed by the English keys. */
  t: Translator<T>;
}

/**
 * Defines a namespace's strings in every shipped language. English is the reference; the type
 * of the others must match it key for key.
 */
export function defineMessages<T extends Messages>(
  namespace: string,
  translations: { en: T } & { readonly [L in Exclude<Locale, 'en'>]: Translation<T> },
): Catalogue<T> {
  const t: Translator<T> = (key, params) => {
    const code = locale.value;
    const table = translations[code] as Messages;
    return (
      resolve(table, key, params, code) ??
      resolve(translations.en, key, params, DEFAULT_LOCALE) ??
      `${namespace}:${key}`
    );
  };
  return { namespace, translations, t };
}

/** Keys present in the reference but missing (or of another shape) in a translation. */
export function missingKeys(reference: Messages, other: Messages, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(reference)) {
    const o = other[k];
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') {
      if (typeof o !== 'string' || o.trim() === '') out.push(path);
    } else if (o === undefined || typeof o === 'string') {
      out.push(path);
    } else {
      out.push(...missingKeys(v, o, path));
    }
  }
  return out;
}

/** `{name}` placeholders of a string, sorted (translations must use the same ones). */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

// ------------------------------------------------------------------------- formatting

const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>();
function cached<F>(key: string, make: () => F): F {
  let f = formatters.get(key) as F | undefined;
  if (!f) {
    f = make();
    formatters.set(key, f as Intl.DateTimeFormat);
  }
  return f;
}

/** A date and time in the user's locale (medium date, short time by default). */
export function formatDateTime(
  value: string | number | Date,
  options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' },
  code: string = locale.value,
): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const f = cached(`d:${code}:${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(code, options));
  return f.format(d);
}

/** A number in the user's locale. */
export function formatNumber(value: number, options?: Intl.NumberFormatOptions, code: string = locale.value): string {
  const f = cached(`n:${code}:${JSON.stringify(options ?? {})}`, () => new Intl.NumberFormat(code, options));
  return f.format(value);
}

/**
 * A short time for a list: the time of day for today, the weekday within a week, else the
 * date — the way messaging apps label conversations.
 */
export function formatListTime(value: string | number | Date, now: Date = new Date(), code: string = locale.value): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = d.toDateString() === now.toDateString();
  if (sameDay) return formatDateTime(d, { timeStyle: 'short' }, code);
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (days >= 0 && days < 6) return formatDateTime(d, { weekday: 'short' }, code);
  return formatDateTime(d, { dateStyle: 'short' }, code);
}

/** "3 minutes ago", "in 2 hours" in the user's locale. */
export function formatRelative(value: string | number | Date, now: Date = new Date(), code: string = locale.value): string {
  const d = value instanceof Date ? value : new Date(value);
  const seconds = Math.round((d.getTime() - now.getTime()) / 1000);
  const f = cached(`r:${code}`, () => new Intl.RelativeTimeFormat(code, { numeric: 'auto' }));
  const abs = Math.abs(seconds);
  if (abs < 60) return f.format(seconds, 'second');
  if (abs < 3600) return f.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return f.format(Math.round(seconds / 3600), 'hour');
  return f.format(Math.round(seconds / 86_400), 'day');
}
