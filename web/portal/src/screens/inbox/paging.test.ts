import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Interaction } from '../../api/hub';

/** A fake hub behind `fetch` (installed before the API client captures it): pages of live conversations, gated. */
const hub = vi.hoisted(() => {
  const asked: URL[] = [];
  const gates = new Map<string, Promise<void>>();
  const pages = new Map<string, { items: unknown[]; next_cursor: string | null }>();
  const singles = new Map<string, unknown>();
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://hub');
    asked.push(url);
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (req.method === 'GET' && url.pathname === '/api/v1/interactions') {
      const key = `${url.searchParams.get('live') ?? url.searchParams.get('status')}:${url.searchParams.get('cursor') ?? ''}`;
      await gates.get(key);
      const page = pages.get(key);
      if (page) return json(200, page);
    }
    const one = singles.get(url.pathname);
    if (req.method === 'GET' && one) return json(200, one);
    return json(404, { error: { code: 'not_found', message: `no such route ${url.pathname}` } });
  }) as typeof fetch;
  return { asked, gates, pages, singles };
});

import { closedQuery, closedState, loadClosed, loadMoreClosed } from './closed';
import { DEFAULT_FILTER } from './filter';
import { conversations, loadConversations, loadingMore, loadState, resetStore, upsertConversation } from './store';

const ORG = '0190a000-0000-7000-8000-0000000000d1';
const CHANNEL = '0190a000-0000-7000-8000-0000000000e1';
const AGENT = '0190a000-0000-7000-8000-0000000000b1';

function conv(n: number, status: Interaction['status'] = 'waiting'): Interaction {
  const at = new Date(Date.UTC(2026, 11, 3, 12) - n * 60_000).toISOString();
  return {
    id: `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    org_id: ORG,
    channel_id: CHANNEL,
    contact_number: `+336${String(n).padStart(8, '0')}`,
    status,
    read: false,
    queue_id: null,
    assignee_id: null,
    campaign: null,
    created_at: at,
    updated_at: at,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => conv(from + i));

afterEach(() => {
  resetStore();
  hub.asked.length = 0;
  hub.gates.clear();
  hub.pages.clear();
  hub.singles.clear();
});

describe('loading the inbox', () => {
  it('follows the cursor through every page of live conversations, showing the first page before the last arrives', async () => {
    let release = () => {};
    hub.gates.set('true:c2', new Promise<void>((r) => (release = r)));
    hub.pages.set('true:', { items: range(0, 500), next_cursor: 'c1' });
    hub.pages.set('true:c1', { items: range(500, 1000), next_cursor: 'c2' });
    // The 1001st most recently updated: older than two full pages, still live.
    const old = conv(1000, 'open');
    hub.pages.set('true:c2', { items: [old], next_cursor: null });

    const done = loadConversations();
    await vi.waitFor(() => expect(conversations.value.size).toBe(1000));
    expect(loadState.value).toBe('ready');
    expect(loadingMore.value).toBe(true);
    expect(conversations.value.has(old.id)).toBe(false);

    release();
    await done;
    expect(conversations.value.size).toBe(1001);
    expect(conversations.value.get(old.id)?.status).toBe('open');
    expect(loadingMore.value).toBe(false);
    const asks = hub.asked.map((u) => Object.fromEntries(u.searchParams));
    expect(asks).toEqual([
      { live: 'true', limit: '500' },
      { live: 'true', limit: '500', cursor: 'c1' },
      { live: 'true', limit: '500', cursor: 'c2' },
    ]);
  });
});

describe('reloading the inbox (after a reconnection)', () => {
  it('asks again about a live conversation no page lists: kept as the hub now says, forgotten when out of sight', async () => {
    const closedMeanwhile = conv(1, 'open');
    const goneMeanwhile = conv(2, 'open');
    upsertConversation(closedMeanwhile);
    upsertConversation(goneMeanwhile);
    hub.pages.set('true:', { items: [conv(3)], next_cursor: null });
    hub.singles.set(`/api/v1/interactions/${closedMeanwhile.id}`, { ...closedMeanwhile, status: 'closed', updated_at: new Date().toISOString() });
    await loadConversations();
    await vi.waitFor(() => expect(conversations.value.has(goneMeanwhile.id)).toBe(false));
    await vi.waitFor(() => expect(conversations.value.get(closedMeanwhile.id)?.status).toBe('closed'));
    expect(conversations.value.has(conv(3).id)).toBe(true);
  });
});

describe('closed conversations on demand', () => {
  const filter = { ...DEFAULT_FILTER, status: 'all' as const, channel: CHANNEL, assignee: AGENT, label: 'VIP', from: '2026-11-01', to: '2026-11-30', search: '+3361' };

  it('maps the filter to the hub’s parameters: closed only, channel, assignee, label and the days as bounds', () => {
    const q = closedQuery(filter);
    expect(q).toMatchObject({ status: 'closed', channel: CHANNEL, assignee: AGENT, label: 'VIP' });
    expect(new Date(q.since ?? '').getTime()).toBe(new Date('2026-11-01T00:00:00').getTime());
    expect(new Date(q.until ?? '').getTime()).toBe(new Date('2026-12-01T00:00:00').getTime());
    expect(q).not.toHaveProperty('q');
  });

  it('asks nothing for the live statuses, then a page of closed ones per query and the next on demand', async () => {
    await loadClosed({ ...DEFAULT_FILTER, status: 'waiting' });
    expect(hub.asked).toEqual([]);

    const closed = [conv(2000, 'closed'), conv(2001, 'closed')];
    hub.pages.set('closed:', { items: [closed[0]], next_cursor: 'k1' });
    hub.pages.set('closed:k1', { items: [closed[1]], next_cursor: null });
    await loadClosed(filter);
    const first = Object.fromEntries(hub.asked[0]?.searchParams ?? []);
    expect(first).toMatchObject({ status: 'closed', channel: CHANNEL, assignee: AGENT, label: 'VIP', limit: '500' });
    expect(first.since).toBeDefined();
    expect(first.until).toBeDefined();
    expect(first).not.toHaveProperty('q');
    expect(first).not.toHaveProperty('cursor');
    expect(conversations.value.has(closed[0]?.id ?? '')).toBe(true);
    expect(closedState.value?.next).toBe('k1');

    // The same query again (e.g. the search text changed): not asked twice.
    await loadClosed({ ...filter, search: 'other' });
    expect(hub.asked).toHaveLength(1);

    await loadMoreClosed();
    expect(hub.asked[1]?.searchParams.get('cursor')).toBe('k1');
    expect(conversations.value.has(closed[1]?.id ?? '')).toBe(true);
    expect(closedState.value?.next).toBeNull();
    // Nothing more to fetch.
    await loadMoreClosed();
    expect(hub.asked).toHaveLength(2);
  });
});
