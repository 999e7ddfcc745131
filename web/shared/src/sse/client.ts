/**
 * Server-sent events over `fetch`, with reconnection.
 *
 * Why not `EventSource`: it cannot tell a 401 (stop, log in again) from a network cut (retry),
 * retries at a fixed pace, and cannot notice a silently dead connection. This client:
 * - parses the stream with `eventsource-parser`;
 * - reconnects after a cut with exponential backoff and jitter (1 s, 2 s, 4 s … capped at 30 s),
 *   reset once a connection stays up; immediately when the browser comes back online;
 * - treats a stream silent for longer than `idleTimeoutMs` as dead (the hub sends a keep-alive
 *   comment every 15 s);
 * - calls `onOpen` on every (re)connection, so the app can reload what it may have missed;
 * - stops on 401/403 and calls `onUnauthorized`.
 */
import { signal, type Signal } from '@preact/signals';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type LiveState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'reconnecting'; attempt: number; retryAt: number }
  | { kind: 'offline' }
  | { kind: 'closed' };

export interface SseOptions {
  url: string;
  onEvent: (event: EventSourceMessage) => void;
  /** After each successful (re)connection: reload whatever may have been missed. */
  onOpen?: (reconnected: boolean) => void;
  onUnauthorized?: () => void;
  /** Treat the stream as dead when nothing (not even a keep-alive) came for this long. */
  idleTimeoutMs?: number;
  /** Backoff: first delay and cap. */
  minDelayMs?: number;
  maxDelayMs?: number;
  fetch?: typeof fetch;
  /** Randomness for the jitter (replaced in tests). */
  random?: () => number;
}

export interface SseConnection {
  state: Signal<LiveState>;
  /** Stops for good. */
  close(): void;
  /** Drops the current connection and reconnects now (e.g. after the user changed context). */
  reconnect(): void;
}

/** The delay before reconnection attempt `attempt` (1-based): exponential, capped, ±20 % jitter. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
  const jitter = 0.8 + 0.4 * random();
  return Math.round(Math.min(maxMs, base * jitter));
}

export function connectSse(options: SseOptions): SseConnection {
  const state = signal<LiveState>({ kind: 'connecting' });
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const idleMs = options.idleTimeoutMs ?? 45_000;
  const minMs = options.minDelayMs ?? 1_000;
  const maxMs = options.maxDelayMs ?? 30_000;
  let closed = false;
  let attempt = 0;
  let everOpened = false;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const clearTimers = () => {
    if (retryTimer) clearTimeout(retryTimer);
    if (idleTimer) clearTimeout(idleTimer);
    retryTimer = undefined;
    idleTimer = undefined;
  };

  const scheduleRetry = () => {
    if (closed) return;
    clearTimers();
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      state.value = { kind: 'offline' };
      return; // the `online` event reconnects
    }
    attempt += 1;
    const delay = backoffDelay(attempt, minMs, maxMs, options.random);
    state.value = { kind: 'reconnecting', attempt, retryAt: Date.now() + delay };
    retryTimer = setTimeout(() => void open(), delay);
  };

  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => controller?.abort(new Error('idle')), idleMs);
  };

  const open = async () => {
    if (closed) return;
    clearTimers();
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    if (!everOpened) state.value = { kind: 'connecting' };
    try {
      const response = await doFetch(options.url, {
        headers: { accept: 'text/event-stream' },
        credentials: 'same-origin',
        cache: 'no-store',
        signal: mine.signal,
      });
      if (response.status === 401 || response.status === 403) {
        closed = true;
        state.value = { kind: 'closed' };
        options.onUnauthorized?.();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reconnected = everOpened;
      everOpened = true;
      state.value = { kind: 'open' };
      armIdle();
      options.onOpen?.(reconnected);
      const parser = createParser({
        onEvent: (e) => options.onEvent(e),
        onRetry: () => {},
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      // Aborting the fetch does not end every body stream (e.g. a service worker's): cancel it too.
      mine.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
      let stable: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
        attempt = 0; // the connection held: the next cut starts the backoff again
        stable = undefined;
      }, 10_000);
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          armIdle();
          parser.feed(value);
        }
      } finally {
        if (stable) clearTimeout(stable);
      }
      if (controller === mine) scheduleRetry();
    } catch {
      if (controller === mine) scheduleRetry();
    }
  };

  const onOnline = () => {
    if (!closed && state.value.kind !== 'open') {
      attempt = 0;
      void open();
    }
  };
  const onOffline = () => {
    if (!closed) controller?.abort(new Error('offline'));
  };
  globalThis.addEventListener?.('online', onOnline);
  globalThis.addEventListener?.('offline', onOffline);

  void open();

  return {
    state,
    close() {
      closed = true;
      clearTimers();
      controller?.abort();
      globalThis.removeEventListener?.('online', onOnline);
      globalThis.removeEventListener?.('offline', onOffline);
      state.value = { kind: 'closed' };
    },
    reconnect() {
      if (closed) return;
      attempt = 0;
      void open();
    },
  };
}
