/**
 * Conversations and their messages as the portal knows them: loaded from the hub, then kept
 * current by the event stream (new messages, delivery updates, status and assignment changes)
 * and reloaded after a reconnection.
 *
 * Every live (not closed) conversation is loaded, page after page of the hub's cursor pagination
 * (`GET /interactions?live=true`); each page shows as it arrives. Closed ones are fetched only on
 * demand (`closed.ts`: the interactions screen's "all" and "closed" filters). The lists are
 * virtualised, so 10,000 rows render as the ~20 visible ones.
 */
import { signal } from '@preact/signals';
import { api, ApiError, call, type HubEvent, type Interaction, type Message } from '../../api/hub';
import { live } from '../../app/live';
import { resetClosed } from './closed';

export const conversations = signal<ReadonlyMap<string, Interaction>>(new Map());
export const loadState = signal<'idle' | 'loading' | 'ready' | 'error'>('idle');
/** The newest message seen per conversation (for the list's preview line). */
export const lastMessage = signal<ReadonlyMap<string, Message>>(new Map());
/** Messages of the conversations opened in this session, oldest first. */
export const threads = signal<ReadonlyMap<string, readonly Message[]>>(new Map());
/** Conversations someone else handed out of this user's sight since they were loaded. */
export const movedAway = signal<ReadonlySet<string>>(new Set());
/** True while more pages of live conversations are on their way (the first one shows already). */
export const loadingMore = signal(false);
/** Live conversations loaded so far by the current load. */
export const loadedCount = signal(0);

const RECHECK_MAX = 50;
/** The hub's largest page. */
export const PAGE = 500;
/** Bumped by `resetStore`: a load started before a logout stops there. */
let generation = 0;
/** Conversations an event touched while a load runs: kept even if no page lists them. */
let touched: Set<string> | undefined;

function setIn<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> {
  const m = new Map(map);
  m.set(key, value);
  return m;
}

export function upsertConversation(i: Interaction): void {
  const cur = conversations.value.get(i.id);
  if (cur && cur.updated_at > i.updated_at) return; // an older copy
  touched?.add(i.id);
  conversations.value = setIn(conversations.value, i.id, i);
}

/** Merges one page from the hub (one signal update for the whole page; newer copies win). */
export function mergeConversations(items: readonly Interaction[]): void {
  if (items.length === 0) return;
  const m = new Map(conversations.value);
  for (const i of items) {
    const cur = m.get(i.id);
    if (!cur || cur.updated_at <= i.updated_at) m.set(i.id, i);
  }
  conversations.value = m;
}

function noteMessage(m: Message): void {
  const cur = lastMessage.value.get(m.interaction_id);
  if (!cur || cur.created_at <= m.created_at) lastMessage.value = setIn(lastMessage.value, m.interaction_id, m);
  const thread = threads.value.get(m.interaction_id);
  if (thread) {
    const at = thread.findIndex((x) => x.id === m.id);
    const next = at >= 0 ? thread.map((x, i) => (i === at ? m : x)) : [...thread, m].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    threads.value = setIn(threads.value, m.interaction_id, next);
  }
}

let loading: Promise<void> | undefined;

/**
 * Loads every live conversation, following the hub's cursor page after page; the first page
 * makes the list ready, later ones add to it. At the end, live conversations of an earlier load
 * that no page listed (closed or out of sight meanwhile, e.g. during a disconnection) are
 * checked again one by one, unless an event touched them since.
 */
export function loadConversations(): Promise<void> {
  if (loading) return loading;
  if (loadState.value !== 'ready') loadState.value = 'loading';
  const gen = generation;
  const seen = new Set<string>();
  touched = new Set();
  loadedCount.value = 0;
  const run = async () => {
    let cursor: string | undefined;
    do {
      const page = await call(api.GET('/api/v1/interactions', { params: { query: { live: true, limit: PAGE, ...(cursor ? { cursor } : {}) } } }));
      if (gen !== generation) return;
      for (const i of page.items) seen.add(i.id);
      mergeConversations(page.items);
      loadedCount.value = seen.size;
      cursor = page.next_cursor ?? undefined;
      loadState.value = 'ready';
      loadingMore.value = !!cursor;
    } while (cursor);
    const stale: string[] = [];
    for (const i of conversations.value.values()) if (i.status !== 'closed' && !seen.has(i.id) && !touched?.has(i.id)) stale.push(i.id);
    // Usually a handful; a flood (a long disconnection) is forgotten rather than asked one by one.
    if (stale.length > RECHECK_MAX) for (const id of stale) forgetConversation(id);
    else for (const id of stale) void recheckConversation(id);
  };
  loading = run()
    .catch((e) => {
      if (gen !== generation) return;
      if (loadState.value !== 'ready') loadState.value = 'error';
      throw e;
    })
    .finally(() => {
      if (gen !== generation) return; // reset meanwhile: a newer load owns the state
      loading = undefined;
      touched = undefined;
      loadingMore.value = false;
    });
  return loading;
}

export async function loadThread(id: string): Promise<void> {
  const list = (
    await call(api.GET('/api/v1/interactions/{id}/messages', { params: { path: { id }, query: { limit: 500 } } }))
  ).items;
  threads.value = setIn(threads.value, id, list);
  const last = list[list.length - 1];
  if (last) lastMessage.value = setIn(lastMessage.value, id, last);
}

export async function fetchConversation(id: string): Promise<Interaction> {
  const i = await call(api.GET('/api/v1/interactions/{id}', { params: { path: { id } } }));
  upsertConversation(i);
  return i;
}

/** Drops a conversation the user may no longer see (e.g. transferred to a queue they are not in). */
export function forgetConversation(id: string): void {
  const drop = <V,>(map: ReadonlyMap<string, V>) => {
    const m = new Map(map);
    m.delete(id);
    return m;
  };
  conversations.value = drop(conversations.value);
  threads.value = drop(threads.value);
  lastMessage.value = drop(lastMessage.value);
}

/**
 * After the user handed a conversation on: keeps it if they may still read it, forgets it if the
 * hub says it is out of their sight now. Resolves with whether it is still theirs to see.
 */
export async function recheckConversation(id: string): Promise<boolean> {
  try {
    await fetchConversation(id);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.kind === 'not_found') {
      forgetConversation(id);
      return false;
    }
    return true;
  }
}

/** Adds a message the user just sent (before its event arrives). */
export function addSent(m: Message): void {
  noteMessage(m);
}

export function applyEvent(e: HubEvent): void {
  switch (e.type) {
    case 'interaction_updated':
      upsertConversation(e.interaction);
      if (movedAway.value.has(e.interaction.id)) {
        // Handed back into sight.
        const gone = new Set(movedAway.value);
        gone.delete(e.interaction.id);
        movedAway.value = gone;
      }
      break;
    case 'interaction_left':
      // Transferred or taken over out of this user's sight by someone else.
      forgetConversation(e.interaction_id);
      movedAway.value = new Set(movedAway.value).add(e.interaction_id);
      break;
    case 'message_created':
    case 'message_updated':
      noteMessage(e.message);
      if (!conversations.value.has(e.message.interaction_id)) {
        fetchConversation(e.message.interaction_id).catch(() => {
          // not visible to us after all
        });
      }
      break;
  }
}

let wired = false;
/** Connects the store to the live stream (once). */
export function wireLive(): void {
  if (wired) return;
  wired = true;
  live.on(applyEvent);
  live.onResync(() => {
    void loadConversations().catch(() => {});
    for (const id of threads.value.keys()) void loadThread(id).catch(() => {});
  });
}

/** Forgets everything (logout). */
export function resetStore(): void {
  conversations.value = new Map();
  lastMessage.value = new Map();
  threads.value = new Map();
  movedAway.value = new Set();
  loadState.value = 'idle';
  loadingMore.value = false;
  loadedCount.value = 0;
  generation += 1;
  loading = undefined;
  touched = undefined;
  resetClosed();
}
