/**
 * Administration lists kept fresh from the hub's event stream: the hub announces
 * `list_changed` (with the list: `opt_outs`, `contacts`, `contact_lists`, `users`, `queues`,
 * `channels`, `organisations`, `gateways`, `api_keys`) after any change of a list the caller
 * may see — made in another tab, by a colleague, or by a handset's STOP or a gateway coming
 * online — and a screen showing that list reloads it (`SCREEN_LISTS` says which screen shows
 * which). A user's presence changing changes the users list too. A reconnected (or lagged)
 * stream may have missed announcements, so it reloads then too. A burst of changes (an import,
 * a wave of STOPs) costs one reload.
 */
import type { HubEvent, Schemas } from '../../api/hub';

export type ListKind = Schemas['ListKind'];

/** The lists each administration screen shows, and so reloads when the hub says they changed. */
export const SCREEN_LISTS = {
  optOuts: ['opt_outs'],
  contacts: ['contacts'],
  contactLists: ['contact_lists'],
  /** A list's members: the list and its contacts. */
  listMembers: ['contact_lists', 'contacts'],
  users: ['users'],
  queues: ['queues'],
  /** Channels, with the names of the queues and users they point at. */
  channels: ['channels', 'queues', 'users'],
  /** Tenants and resellers. */
  tenants: ['organisations'],
  gateways: ['gateways'],
  apiKeys: ['api_keys'],
} as const satisfies Record<string, readonly ListKind[]>;

/** The list an event says changed, if any. */
export function changedList(e: HubEvent): ListKind | undefined {
  if (e.type === 'list_changed') return e.list;
  // The users list shows each user's presence.
  if (e.type === 'presence_changed') return 'users';
  return undefined;
}

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
    const changed = changedList(e);
    if (changed !== undefined && lists.includes(changed)) soon();
  });
  const offResync = source.onResync(soon);
  return () => {
    off();
    offResync();
    if (timer !== undefined) clearTimeout(timer);
  };
}
