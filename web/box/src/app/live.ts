/**
 * The live port table: one event stream per tab (`/api/v1/box/events`), whose `ports` events
 * carry every port's state; reconnects with backoff, stops on 401 (the session ended).
 */
import { connectSse, type LiveState, type SseConnection } from '@smsgate/shared/sse/client';
import { signal, type Signal } from '@preact/signals';
import type { Port } from '../api/box';
import { me, sessionEnded } from './session';

export const ports = signal<Port[] | undefined>(undefined);
const idle: Signal<LiveState> = signal({ kind: 'closed' });

let conn: SseConnection | undefined;

export const live = {
  get state(): Signal<LiveState> {
    return conn?.state ?? idle;
  },
  start(): void {
    if (conn) return;
    conn = connectSse({
      url: '/api/v1/box/events',
      idleTimeoutMs: 45_000,
      onEvent: (e) => {
        if (e.event !== 'ports') return;
        try {
          ports.value = (JSON.parse(e.data) as { ports: Port[] }).ports;
        } catch {
          // a malformed event is ignored; the next one replaces it
        }
      },
      onUnauthorized: () => {
        if (me.value) {
          me.value = null;
          sessionEnded.value = true;
        }
      },
    });
  },
  stop(): void {
    conn?.close();
    conn = undefined;
  },
};
