/**
 * Closed conversations, fetched only on demand: the live ones are all in the store already
 * (`loadConversations`), so the "all" and "closed" filters of the interactions screen ask the hub
 * for closed ones matching the filter, a page at a time ("Load more", or on scrolling near the
 * end). Each page is merged into the same store; the client-side `matcher` still decides what
 * shows, so a row never disappears because a page arrived.
 *
 * The search box is not sent: the portal's search matches numbers, contact names and campaign
 * names, the hub's `q` the text of the messages, so sending it would hide rows the portal's
 * search keeps.
 */
import { signal } from '@preact/signals';
import { api, call } from '../../api/hub';
import type { ConversationFilter } from './filter';
import { mergeConversations, PAGE } from './store';

/** The hub's list parameters for closed conversations matching a filter. */
export interface ClosedQuery {
  status: 'closed';
  channel?: string;
  assignee?: string;
  label?: string;
  /** RFC 3339, inclusive. */
  since?: string;
  /** RFC 3339, exclusive. */
  until?: string;
}

/** Whether a filter shows closed conversations (and so needs them from the hub). */
export function wantsClosed(f: ConversationFilter): boolean {
  return f.status === 'all' || f.status === 'closed';
}

function localMidnight(day: string, plusDays = 0): string {
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

/** Maps the portal's filter to the hub's parameters (bounds in the browser's time zone, as `matcher`). */
export function closedQuery(f: ConversationFilter): ClosedQuery {
  const q: ClosedQuery = { status: 'closed' };
  if (f.channel) q.channel = f.channel;
  if (f.assignee) q.assignee = f.assignee;
  if (f.label) q.label = f.label;
  if (f.from) q.since = localMidnight(f.from);
  if (f.to) q.until = localMidnight(f.to, 1);
  return q;
}

export interface ClosedState {
  /** The query's key (its parameters as JSON). */
  key: string;
  /** The next page's cursor; `null`: no more pages. */
  next: string | null;
  loading: boolean;
  failed: boolean;
}

export const closedState = signal<ClosedState | null>(null);

let query: ClosedQuery | undefined;
let generation = 0;

async function fetchPage(q: ClosedQuery, key: string, cursor: string | undefined): Promise<void> {
  const gen = generation;
  closedState.value = { key, next: cursor ?? null, loading: true, failed: false };
  try {
    const page = await call(api.GET('/api/v1/interactions', { params: { query: { ...q, limit: PAGE, ...(cursor ? { cursor } : {}) } } }));
    if (gen !== generation || closedState.value?.key !== key) return;
    mergeConversations(page.items);
    closedState.value = { key, next: page.next_cursor ?? null, loading: false, failed: false };
  } catch (e) {
    if (gen === generation && closedState.value?.key === key) closedState.value = { key, next: cursor ?? null, loading: false, failed: true };
    throw e;
  }
}

/**
 * Makes sure the first page of closed conversations for this filter is asked for (once per
 * distinct query; nothing when the filter shows no closed ones).
 */
export function loadClosed(f: ConversationFilter): Promise<void> {
  if (!wantsClosed(f)) return Promise.resolve();
  const q = closedQuery(f);
  const key = JSON.stringify(q);
  if (closedState.value?.key === key) return Promise.resolve();
  query = q;
  generation += 1;
  return fetchPage(q, key, undefined);
}

/** The next page of the current query, if there is one and none is on its way. */
export function loadMoreClosed(): Promise<void> {
  const s = closedState.value;
  if (!s || !query || s.loading || (!s.next && !s.failed)) return Promise.resolve();
  return fetchPage(query, s.key, s.next ?? undefined);
}

/** Whether the current query has more pages to fetch. */
export function closedHasMore(): boolean {
  const s = closedState.value;
  return !!s && (!!s.next || s.failed);
}

/** Forgets the query (logout). */
export function resetClosed(): void {
  generation += 1;
  query = undefined;
  closedState.value = null;
}
