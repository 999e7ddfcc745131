import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A fake hub behind `fetch`: one queue's routing, and the hub's check of an interval's close. */
const hub = vi.hoisted(() => {
  const put: unknown[] = [];
  const state = { routing: { strategy: 'manual', max_active: null, hours: null } as Record<string, unknown> };
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://hub');
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url.pathname === '/api/v1/queues/q-1/routing' && req.method === 'GET') return json(200, state.routing);
    if (url.pathname === '/api/v1/queues/q-1/routing' && req.method === 'PUT') {
      const body = (await req.json()) as { hours: { intervals: { close: string; open: string }[] } | null };
      put.push(body);
      const bad = body.hours?.intervals.findIndex((i) => i.close <= i.open) ?? -1;
      if (bad >= 0) return json(422, { error: { code: 'invalid', message: `hours.intervals[${bad}].close: must be after open`, field: `hours.intervals[${bad}].close` } });
      state.routing = body as unknown as Record<string, unknown>;
      return json(200, body);
    }
    return json(404, { error: { code: 'not_found', message: 'no such route' } });
  }) as typeof fetch;
  return { put, state };
});

import { RoutingDialog } from './RoutingDialog';

const queue = { id: 'q-1', org_id: 't', name: 'Support', description: '', members: [], created_at: '2026-12-01T00:00:00Z' };
const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

async function opened(): Promise<{ root: HTMLElement; closed: () => number }> {
  const root = document.createElement('div');
  document.body.append(root);
  let closed = 0;
  render(<RoutingDialog queue={queue as never} onClose={() => closed++} />, root);
  for (let i = 0; i < 20; i++) await settle();
  return { root, closed: () => closed };
}

function fields(root: HTMLElement, label: string): (HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement)[] {
  return [...root.querySelectorAll('label')]
    .filter((x) => x.textContent === label || x.textContent?.startsWith(label))
    .map((l) => root.querySelector<HTMLInputElement>(`#${CSS.escape(l.getAttribute('for') ?? '')}`))
    .filter((x): x is HTMLInputElement => !!x);
}

async function set(el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, value: string): Promise<void> {
  el.value = value;
  el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  await settle();
}

async function submit(root: HTMLElement): Promise<void> {
  root.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  for (let i = 0; i < 10; i++) await settle();
}

function button(root: HTMLElement, name: string): HTMLButtonElement {
  const b = [...root.querySelectorAll('button')].find((x) => x.textContent === name || x.getAttribute('aria-label') === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
}

describe("a queue's routing and hours", () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
    hub.put.length = 0;
    hub.state.routing = { strategy: 'manual', max_active: null, hours: null };
  });

  it('saves a strategy, a limit per agent and weekday hours with their reply', async () => {
    const { root, closed } = await opened();
    await set(fields(root, 'Who gets a new conversation')[0]!, 'round_robin');
    await set(fields(root, 'Most open conversations per agent')[0]!, '3');
    const restrict = root.querySelector<HTMLInputElement>('.hours-editor input[type="checkbox"]')!;
    restrict.click();
    await settle();
    await set(fields(root, 'Time zone')[0]!, 'Europe/Paris');
    expect(fields(root, 'Opens')).toHaveLength(5);
    // Saturday morning too.
    button(root, 'Add an interval').click();
    await settle();
    await set(fields(root, 'Day')[5]!, 'sat');
    await set(fields(root, 'Closes')[5]!, '12:00');
    await submit(root);
    expect(hub.put).toHaveLength(1);
    const body = hub.put[0] as { strategy: string; max_active: number; hours: { timezone: string; intervals: { day: string; open: string; close: string }[]; reply: string } };
    expect(body.strategy).toBe('round_robin');
    expect(body.max_active).toBe(3);
    expect(body.hours.timezone).toBe('Europe/Paris');
    expect(body.hours.intervals).toHaveLength(6);
    expect(body.hours.intervals[5]).toEqual({ day: 'sat', open: '09:00', close: '12:00' });
    expect(body.hours.reply).toContain('closed');
    expect(closed()).toBe(1);
  });

  it('refuses a bad limit and a badly written time before asking the hub, and shows the hub refusal on its interval', async () => {
    const { root, closed } = await opened();
    await set(fields(root, 'Most open conversations per agent')[0]!, '0');
    await submit(root);
    expect(hub.put).toHaveLength(0);
    expect(root.textContent).toContain('A whole number from 1');
    await set(fields(root, 'Most open conversations per agent')[0]!, '');
    root.querySelector<HTMLInputElement>('.hours-editor input[type="checkbox"]')!.click();
    await settle();
    await set(fields(root, 'Closes')[1]!, '9h');
    expect(root.textContent).toContain('Write the time as HH:MM');
    await submit(root);
    expect(hub.put).toHaveLength(0);
    // Closing before it opens: the hub names the interval, shown on that field.
    await set(fields(root, 'Closes')[1]!, '08:00');
    await submit(root);
    expect(hub.put).toHaveLength(1);
    const close = fields(root, 'Closes')[1]!;
    expect(close.getAttribute('aria-invalid')).toBe('true');
    expect(close.closest('.field')?.textContent).toContain('must be after open');
    expect(closed()).toBe(0);
  });

  it('keeps the end of the day as 24:00 and speaks French', async () => {
    setLocale('fr');
    const { root } = await opened();
    root.querySelector<HTMLInputElement>('.hours-editor input[type="checkbox"]')!.click();
    await settle();
    await set(fields(root, 'Ferme à')[0]!, '24:00');
    expect(root.textContent).not.toContain("Écrivez l'heure");
    expect(root.textContent).toContain("Heures d'ouverture");
  });
});
