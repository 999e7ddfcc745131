/**
 * Canned replies, searchable from the reply box: the ones that apply to the conversation (the
 * tenant's and its queue's), searched by title and text as one types; picking one inserts its
 * text where the cursor is.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import { queueById } from '../../app/directory';
import { errorText } from './errorText';
import { inboxFloorText as t } from './floorMessages';

type Canned = Schemas['CannedReply'];

export function CannedPicker({ interaction, onPick, onClose }: { interaction: string; onPick: (text: string) => void; onClose: () => void }): JSX.Element {
  const [q, setQ] = useState('');
  const [list, setList] = useState<Canned[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let alive = true;
    const timer = setTimeout(() => {
      call(api.GET('/api/v1/canned-replies', { params: { query: { interaction, ...(q.trim() ? { q: q.trim() } : {}) } } }))
        .then((l) => {
          if (!alive) return;
          setList(l);
          setError(null);
        })
        .catch((e) => alive && setError(errorText(e)));
    }, q ? 150 : 0);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [q, interaction]);
  useEffect(() => {
    const onDown = (e: MouseEvent) => {
      if (!box.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, []);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const items = [...(box.current?.querySelectorAll<HTMLElement>('.canned-item') ?? [])];
    if (!items.length) return;
    e.preventDefault();
    const at = items.indexOf(document.activeElement as HTMLElement);
    const next = e.key === 'ArrowDown' ? Math.min(items.length - 1, at + 1) : at <= 0 ? -1 : at - 1;
    if (next < 0) box.current?.querySelector<HTMLElement>('input')?.focus();
    else items[next]?.focus();
  };
  return (
    <div class="canned-picker" ref={box} role="dialog" aria-label={t.t('canned.title')} onKeyDown={onKey} data-testid="canned-picker">
      <label class="visually-hidden" for="canned-search">{t.t('canned.search')}</label>
      <input id="canned-search" type="search" class="input" placeholder={t.t('canned.search')} value={q} autoFocus onInput={(e) => setQ(e.currentTarget.value)} />
      {error ? <p class="form-error" role="alert">{error}</p> : null}
      {list && list.length === 0 ? <p class="empty">{t.t('canned.none')}</p> : null}
      <ul class="canned-list">
        {(list ?? []).map((c) => (
          <li key={c.id}>
            <button type="button" class="canned-item" title={t.t('canned.insert', { title: c.title })} onClick={() => onPick(c.text)}>
              <span class="canned-title">{c.title}</span>
              <span class="canned-scope muted">{c.queue_id ? t.t('canned.queue', { name: queueById.value.get(c.queue_id)?.name ?? '' }) : t.t('canned.tenant')}</span>
              <span class="canned-text">{c.text}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
