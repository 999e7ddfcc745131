import { describe, expect, it } from 'vitest';
import { backoffDelay, connectSse, type LiveState } from './client';

/** A fake server: each fetch gets the next scripted response. */
function scripted(responses: Array<() => Response>) {
  const calls: string[] = [];
  const fetch = (async (url: string) => {
    calls.push(url);
    const next = responses.shift();
    if (!next) return new Promise<Response>(() => {}); // hangs: no more scripted answers
    return next();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

function stream(chunks: string[], { end = true } = {}): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      if (end) c.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const until = async (cond: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('backoffDelay', () => {
  it('doubles from the first delay up to the cap, with jitter', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, 1000, 30000, mid))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelay(1, 1000, 30000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 30000, () => 1)).toBe(1200);
    expect(backoffDelay(10, 1000, 30000, () => 1)).toBe(30000);
  });
});

describe('connectSse', () => {
  it('delivers named events and reconnects after the stream is cut, telling the app to resync', async () => {
    const server = scripted([
      () => stream(['event: message_created\ndata: {"a":1}\n\n', ': keep-alive\n\n']),
      () => stream(['event: interaction_updated\ndata: {"b":2}\n\n'], { end: false }),
    ]);
    const events: string[] = [];
    const opens: boolean[] = [];
    const conn = connectSse({
      url: '/api/v1/events',
      fetch: server.fetch,
      minDelayMs: 5,
      onEvent: (e) => events.push(`${e.event}:${e.data}`),
      onOpen: (reconnected) => opens.push(reconnected),
    });
    await until(() => events.length === 2);
    expect(events).toEqual(['message_created:{"a":1}', 'interaction_updated:{"b":2}']);
    expect(opens).toEqual([false, true]);
    expect(server.calls).toHaveLength(2);
    expect(conn.state.value.kind).toBe('open');
    conn.close();
    expect(conn.state.value.kind).toBe('closed');
  });

  it('backs off while the server is unreachable', async () => {
    const fail = () => {
      throw new TypeError('network down');
    };
    const server = scripted([fail, fail, () => stream([], { end: false })]);
    const states: LiveState['kind'][] = [];
    const conn = connectSse({ url: '/e', fetch: server.fetch, minDelayMs: 5, random: () => 0.5, onEvent: () => {} });
    conn.state.subscribe((s) => states.push(s.kind));
    await until(() => conn.state.value.kind === 'open');
    expect(states).toContain('reconnecting');
    expect(server.calls).toHaveLength(3);
    conn.close();
  });

  it('stops and reports when the session has ended (401)', async () => {
    let told = 0;
    const server = scripted([() => new Response('{}', { status: 401 })]);
    const conn = connectSse({ url: '/e', fetch: server.fetch, minDelayMs: 5, onEvent: () => {}, onUnauthorized: () => told++ });
    await until(() => conn.state.value.kind === 'closed');
    expect(told).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(server.calls).toHaveLength(1);
  });

  it('treats a silent stream as dead and reconnects', async () => {
    const server = scripted([() => stream([], { end: false }), () => stream(['data: back\n\n'], { end: false })]);
    const got: string[] = [];
    const conn = connectSse({ url: '/e', fetch: server.fetch, minDelayMs: 5, idleTimeoutMs: 30, onEvent: (e) => got.push(e.data) });
    await until(() => got.length === 1);
    expect(server.calls.length).toBeGreaterThanOrEqual(2);
    conn.close();
  });
});
