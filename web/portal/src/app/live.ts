/**
 * The hub's event stream (`GET /api/v1/events`), shared by every screen: new messages, delivery
 * updates and conversation changes arrive here and are fanned out to subscribers. After a
 * reconnection (or a `lagged` notice) subscribers are told to resync, since events may have been
 * missed while the stream was down.
 */
import { signal } from '@preact/signals';
import { connectSse, type LiveState, type SseConnection } from '@smsgate/shared/sse/client';
import type { HubEvent } from '../api/hub';
import { me, sessionEnded } from './session';

type Listener = (e: HubEvent) => void;
type Resync = () => void;

const listeners = new Set<Listener>();
const resyncs = new Set<Resync>();
const state = signal<LiveState>({ kind: 'connecting' });
let conn: SseConnection | undefined;
let unmirror: (() => void) | undefined;

function resyncAll() {
  for (const r of resyncs) r();
}

export const live = {
  state,
  start(): void {
    if (conn) return;
    conn = connectSse({
      url: '/api/v1/events',
      onEvent: (e) => {
        if (e.event === 'lagged') {
          resyncAll();
          return;
        }
        try {
          const data = JSON.parse(e.data) as HubEvent;
          for (const l of listeners) l(data);
        } catch {
          // not ours
        }
      },
      onOpen: (reconnected) => {
        if (reconnected) resyncAll();
      },
      onUnauthorized: () => {
        if (me.value) {
          me.value = null;
          sessionEnded.value = true;
        }
      },
    });
    unmirror = conn.state.subscribe((s) => {
      state.value = s;
    });
  },
  stop(): void {
    unmirror?.();
    conn?.close();
    conn = undefined;
    state.value = { kind: 'connecting' };
  },
  /** Subscribes to hub events; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Called after a reconnection: reload what is shown. */
  onResync(r: Resync): () => void {
    resyncs.add(r);
    return () => resyncs.delete(r);
  },
};
