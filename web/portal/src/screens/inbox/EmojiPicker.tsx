/**
 * Emoji picker, bundled (no network): the Unicode emoji list of `emojibase-data` with English or
 * French names for search, loaded as its own chunk the first time the picker opens. Arrow keys
 * move in the grid, Enter inserts, Escape closes.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { locale } from '@smsgate/shared/i18n/core';
import { inboxText as t } from './messages';

interface Emoji {
  unicode: string;
  label: string;
  tags?: string[];
  group?: number;
  order?: number;
}

const cache = new Map<string, Promise<Emoji[]>>();

function load(code: string): Promise<Emoji[]> {
  let p = cache.get(code);
  if (!p) {
    const data = code === 'fr' ? import('emojibase-data/fr/compact.json') : import('emojibase-data/en/compact.json');
    // Group 2 is the skin-tone/hair components, not emoji to insert.
    p = data.then((m) => (m.default as Emoji[]).filter((e) => e.group !== undefined && e.group !== 2).sort((a, b) => (a.order ?? 0) - (b.order ?? 0)));
    cache.set(code, p);
  }
  return p;
}

const GROUPS = ['0', '1', '3', '4', '5', '6', '7', '8', '9'] as const;
const COLUMNS = 8;

function norm(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }): JSX.Element {
  const [all, setAll] = useState<Emoji[] | null>(null);
  const [query, setQuery] = useState('');
  const [group, setGroup] = useState<string>('0');
  const [focus, setFocus] = useState(0);
  const gridRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const code = locale.value;
  useEffect(() => {
    let alive = true;
    void load(code).then((list) => alive && setAll(list));
    searchRef.current?.focus();
    return () => {
      alive = false;
    };
  }, [code]);
  const shown = useMemo(() => {
    if (!all) return [];
    const q = norm(query.trim());
    if (q) return all.filter((e) => norm(e.label).includes(q) || e.tags?.some((tag) => norm(tag).includes(q))).slice(0, 160);
    return all.filter((e) => String(e.group) === group);
  }, [all, query, group]);
  useEffect(() => setFocus(0), [query, group]);
  const move = (e: KeyboardEvent) => {
    const n = shown.length;
    if (!n) return;
    let next = focus;
    if (e.key === 'ArrowRight') next = Math.min(n - 1, focus + 1);
    else if (e.key === 'ArrowLeft') next = Math.max(0, focus - 1);
    else if (e.key === 'ArrowDown') next = Math.min(n - 1, focus + COLUMNS);
    else if (e.key === 'ArrowUp') next = Math.max(0, focus - COLUMNS);
    else return;
    e.preventDefault();
    setFocus(next);
    requestAnimationFrame(() => gridRef.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus());
  };
  return (
    <div
      class="emoji-picker"
      role="dialog"
      aria-label={t.t('emoji.title')}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <input ref={searchRef} type="search" class="input" placeholder={t.t('emoji.search')} aria-label={t.t('emoji.search')} value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      {query ? null : (
        <div class="emoji-tabs" role="tablist" aria-label={t.t('emoji.title')}>
          {GROUPS.map((g) => {
            const first = all?.find((e) => String(e.group) === g);
            return (
              <button key={g} type="button" role="tab" aria-selected={group === g ? 'true' : 'false'} class="emoji-tab" title={t.t(`emoji.groups.${g}`)} aria-label={t.t(`emoji.groups.${g}`)} onClick={() => setGroup(g)}>
                <span aria-hidden="true">{first?.unicode ?? '…'}</span>
              </button>
            );
          })}
        </div>
      )}
      <div ref={gridRef} class="emoji-grid" role="grid" aria-label={query ? t.t('emoji.search') : t.t(`emoji.groups.${group as '0'}`)} onKeyDown={move}>
        {all === null ? <span class="spinner" aria-hidden="true" /> : null}
        {all && shown.length === 0 ? <p class="muted">{t.t('emoji.none')}</p> : null}
        <div role="row" class="emoji-row">
          {shown.map((e, i) => (
            <button
              key={e.unicode}
              type="button"
              role="gridcell"
              class="emoji-cell"
              data-index={i}
              tabIndex={i === focus ? 0 : -1}
              title={e.label}
              aria-label={e.label}
              onClick={() => onPick(e.unicode)}
            >
              {e.unicode}
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}
