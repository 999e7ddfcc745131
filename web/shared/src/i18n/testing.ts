/** Test helper: a catalogue is complete in every shipped language, with the same placeholders. */
import { LOCALES, missingKeys, placeholders, type Catalogue, type Messages } from './core';

export interface CatalogueProblem {
  locale: string;
  key: string;
  problem: 'missing' | 'extra' | 'placeholders';
}

/** Every difference between the English reference and each other language. */
export function catalogueProblems(catalogue: Pick<Catalogue<Messages>, 'translations'> | { translations: object }): CatalogueProblem[] {
  const translations = catalogue.translations as Record<string, Messages>;
  const en = translations.en as Messages;
  const out: CatalogueProblem[] = [];
  for (const { code } of LOCALES) {
    if (code === 'en') continue;
    const other = translations[code] as Messages;
    for (const key of missingKeys(en, other)) out.push({ locale: code, key, problem: 'missing' });
    for (const key of missingKeys(other, en)) out.push({ locale: code, key, problem: 'extra' });
    const walk = (a: Messages, b: Messages, path: string) => {
      for (const [k, v] of Object.entries(a)) {
        const o = b[k];
        if (typeof v === 'string' && typeof o === 'string') {
          if (placeholders(v).join() !== placeholders(o).join()) out.push({ locale: code, key: path + k, problem: 'placeholders' });
        } else if (typeof v !== 'string' && o && typeof o !== 'string') walk(v, o, `${path}${k}.`);
      }
    };
    walk(en, other, '');
  }
  return out;
}
