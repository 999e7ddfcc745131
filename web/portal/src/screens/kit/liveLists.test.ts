import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HubEvent } from '../../api/hub';
import { type LiveSource, watchLists } from './liveLists';

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
