/**
 * Conversations and their messages as the portal knows them: loaded from the hub, then kept
 * current by the event stream (new messages, delivery updates, status and assignment changes)
 * and reloaded after a reconnection.
 *
 * Today the hub's `GET /interactions` returns every conversation in scope at once; the list is
 * virtualised, so 10,000 rows render as the ~20 visible ones. The loader is the one place to
 * switch to the hub's cursor pagination when it lands.
 */
import { signal } from '@preact/signals';
import { api, ApiError, call, type HubEvent, type Interaction, type Message } from '../../api/hub';
import { live } from '../../app/live';

export const conversations = signal<ReadonlyMap<string, Interaction>>(new Map());
export const loadState = signal<'idle' | 'loading' | 'ready' | 'error'>('idle');
/** The newest message seen per conversation (for the list's preview line). */
export const lastMessage = signal<ReadonlyMap<string, Message>>(new Map());
/** Messages of the conversations opened in this session, oldest first. */
export const threads = signal<ReadonlyMap<string, readonly Message[]>>(new Map());
/** Conversations someone else handed out of this user's sight since they were loaded. */
export const movedAway = signal<ReadonlySet<string>>(new Set());

function setIn<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> {
  const m = new Map(map);
  m.set(key, value);
  return m;
}

export function upsertConversation(i: Interaction): void {
  const cur = conversations.value.get(i.id);
  if (cur && cur.updated_at > i.updated_at) return; // an older copy
  conversations.value = setIn(conversations.value, i.id, i);
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

export function loadConversations(): Promise<void> {
  if (loading) return loading;
  if (loadState.value !== 'ready') loadState.value = 'loading';
  loading = call(api.GET('/api/v1/interactions', { params: { query: { limit: 500 } } }))
    .then(({ items: list }) => {
      conversations.value = new Map(list.map((i) => [i.id, i]));
      loadState.value = 'ready';
    })
    .catch((e) => {
      if (loadState.value !== 'ready') loadState.value = 'error';
      throw e;
    })
    .finally(() => {
      loading = undefined;
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
}
