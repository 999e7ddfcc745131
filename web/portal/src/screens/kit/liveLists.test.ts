import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HubEvent } from '../../api/hub';
import { changedList, type ListKind, type LiveSource, SCREEN_LISTS, watchLists } from './liveLists';

function fakeLive(): LiveSource & { emit(e: HubEvent): void; resync(): void; listeners(): number } {
  const listeners = new Set<(e: HubEvent) => void>();
  const resyncs = new Set<() => void>();
  return {
    on(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onResync(r) {
      resyncs.add(r);
      return () => resyncs.delete(r);
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
    resync() {
      for (const r of resyncs) r();
    },
    listeners: () => listeners.size + resyncs.size,
  };
}

describe('watchLists', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reloads once after a burst of changes to a watched list', () => {
    const live = fakeLive();
    const reload = vi.fn();
    watchLists(live, ['opt_outs'], reload);
    for (let i = 0; i < 5; i++) {
      live.emit({ type: 'list_changed', list: 'opt_outs' });
      vi.advanceTimersByTime(100);
    }
    expect(reload).not.toHaveBeenCalled();
    vi.advanceTimersByTime(250);
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('ignores other lists and other events', () => {
    const live = fakeLive();
    const reload = vi.fn();
    watchLists(live, ['contacts'], reload);
    live.emit({ type: 'list_changed', list: 'opt_outs' });
    live.emit({ type: 'labels_changed', interaction_id: '0190a000-0000-7000-8000-000000000001', labels: [] });
    vi.advanceTimersByTime(1000);
    expect(reload).not.toHaveBeenCalled();
  });

  it('reloads after the stream reconnects, which may have missed announcements', () => {
    const live = fakeLive();
    const reload = vi.fn();
    watchLists(live, ['contact_lists'], reload);
    live.resync();
    vi.advanceTimersByTime(250);
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('stops listening and drops a pending reload when stopped', () => {
    const live = fakeLive();
    const reload = vi.fn();
    const stop = watchLists(live, ['opt_outs'], reload);
    live.emit({ type: 'list_changed', list: 'opt_outs' });
    stop();
    vi.advanceTimersByTime(1000);
    expect(reload).not.toHaveBeenCalled();
    expect(live.listeners()).toBe(0);
  });
});

describe('SCREEN_LISTS', () => {
  // Every list the hub announces (the type makes a new kind without an entry fail to compile).
  const everyKind: Record<ListKind, true> = {
    opt_outs: true,
    contacts: true,
    contact_lists: true,
    users: true,
    queues: true,
    channels: true,
    organisations: true,
    gateways: true,
    api_keys: true,
  };

  it('has a screen for every list the hub announces', () => {
    const watched = new Set<ListKind>(Object.values(SCREEN_LISTS).flat());
    for (const kind of Object.keys(everyKind) as ListKind[]) expect(watched.has(kind), kind).toBe(true);
  });

  it.each([
    ['users', 'users'],
    ['queues', 'queues'],
    ['channels', 'channels'],
    ['organisations', 'tenants'],
    ['gateways', 'gateways'],
    ['api_keys', 'apiKeys'],
  ] as const)('reloads the %s screen (%s) when the hub says that list changed', (kind, screen) => {
    vi.useFakeTimers();
    const live = fakeLive();
    const reloads = Object.fromEntries(Object.keys(SCREEN_LISTS).map((k) => [k, vi.fn()]));
    for (const [k, lists] of Object.entries(SCREEN_LISTS)) watchLists(live, lists, reloads[k] as () => void);
    live.emit({ type: 'list_changed', list: kind });
    vi.advanceTimersByTime(250);
    vi.useRealTimers();
    expect(reloads[screen]).toHaveBeenCalledTimes(1);
    const reloaded = Object.entries(reloads)
      .filter(([, f]) => f.mock.calls.length > 0)
      .map(([k]) => k);
    const expected = Object.entries(SCREEN_LISTS)
      .filter(([, lists]) => (lists as readonly ListKind[]).includes(kind))
      .map(([k]) => k);
    expect(reloaded).toEqual(expected);
  });

  it('shows queue and user names on the channels screen, so their changes reload it', () => {
    expect(SCREEN_LISTS.channels).toEqual(expect.arrayContaining(['channels', 'queues', 'users']));
  });

  it("counts a user's presence change as a change of the users list", () => {
    expect(changedList({ type: 'presence_changed', user_id: '0190a000-0000-7000-8000-000000000001', presence: 'online' })).toBe('users');
    expect(changedList({ type: 'list_changed', list: 'gateways' })).toBe('gateways');
    expect(changedList({ type: 'labels_changed', interaction_id: '0190a000-0000-7000-8000-000000000001', labels: [] })).toBeUndefined();
  });
});
