/**
 * Administration lists kept fresh from the hub's event stream: the hub announces
 * `list_changed` (with the list: `opt_outs`, `contacts`, `contact_lists`) after any change of a
 * list of the caller's organisations — made in another tab, by a colleague, or by a handset's
 * STOP — and a screen showing that list reloads it. A reconnected (or lagged) stream may have
 * missed announcements, so it reloads then too. A burst of changes (an import, a wave of
 * STOPs) costs one reload.
 */
import type { HubEvent, Schemas } from '../../api/hub';

export type ListKind = Schemas['ListKind'];

/** What the watcher needs of the live stream (`app/live.ts` in the app, a fake in tests). */
export interface LiveSource {
  on(listener: (e: HubEvent) => void): () => void;
  onResync(r: () => void): () => void;
}

/** Calls `reload` once a burst of changes to one of `lists` is over (`delayMs` after the last). */
export function watchLists(source: LiveSource, lists: readonly ListKind[], reload: () => void, delayMs = 250): () => void {
  if (lists.length === 0) return () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, delayMs);
  };
  const off = source.on((e) => {
    if (e.type === 'list_changed' && lists.includes(e.list)) soon();
  });
  const offResync = source.onResync(soon);
  return () => {
    off();
    offResync();
    if (timer !== undefined) clearTimeout(timer);
  };
}
