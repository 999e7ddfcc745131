import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A fake hub behind `fetch` (installed before the API client captures it): two gateways, one reporting its ports. */
const hub = vi.hoisted(() => {
  const posted: unknown[] = [];
  const gateways = [
    { id: 'gw-a', name: 'Lyon box', ports: [{ port: '0', sim_number: '+33700000010' }, { port: '1', sim_number: null }] },
    { id: 'gw-b', name: 'Paris box', ports: [] },
  ];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://hub');
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (req.method === 'GET' && url.pathname === '/api/v1/gateways') return json(200, { items: gateways, total: gateways.length });
    if (req.method === 'POST' && url.pathname === '/api/v1/channels') {
      posted.push(await req.json());
      return json(201, { id: 'ch-1' });
    }
    return json(404, { error: { code: 'not_found', message: 'no such route' } });
  }) as typeof fetch;
  return { posted };
});

import { DeclareDialog } from './Channels';

const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

async function opened(): Promise<{ root: HTMLElement; done: () => number }> {
  const root = document.createElement('div');
  document.body.append(root);
  let done = 0;
  render(<DeclareDialog onDone={() => done++} onClose={() => {}} />, root);
  // The gateways arrive from the (fake) hub: wait until the gateway picker lists them.
  for (let i = 0; i < 50 && root.querySelectorAll('option').length < 2; i++) await settle();
  return { root, done: () => done };
}

function field(root: HTMLElement, label: string): HTMLInputElement | HTMLSelectElement {
  const l = [...root.querySelectorAll('label')].find((x) => x.textContent?.startsWith(label));
  const id = l?.getAttribute('for');
  const el = id ? root.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(id)}`) : null;
  if (!el) throw new Error(`no field labelled ${label}`);
  return el;
}

async function set(el: HTMLInputElement | HTMLSelectElement, value: string): Promise<void> {
  el.value = value;
  el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  await settle();
}

async function submit(root: HTMLElement): Promise<void> {
  root.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  await settle();
}

describe('declaring a SIM channel on a gateway port', () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
    hub.posted.length = 0;
  });

  it('offers the ports the gateway reports and prefills the SIM number the port reported', async () => {
    const { root } = await opened();
    const port = field(root, 'Port');
    expect(port).toBeInstanceOf(HTMLSelectElement);
    expect([...(port as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['Choose a port', '0 (+33700000010)', '1']);
    await set(port, '0');
    expect(field(root, 'SIM number').value).toBe('+33700000010');
  });

  it('takes a typed port and SIM number on a gateway that reports none (the fields stay themselves)', async () => {
    const { root, done } = await opened();
    await set(field(root, 'Gateway'), 'gw-b');
    const port = field(root, 'Port');
    expect(port).toBeInstanceOf(HTMLInputElement);
    await set(port, ' 3 ');
    const number = field(root, 'SIM number') as HTMLInputElement;
    // The declare bug: the SIM number field became the country input (maxlength 0 / 2).
    expect([0, 2]).not.toContain(number.maxLength);
    await set(number, '+33700000099');
    await set(field(root, 'Name'), 'Support line');
    await submit(root);
    expect(hub.posted).toEqual([{ gateway: 'gw-b', port: '3', sim_number: '+33700000099', name: 'Support line' }]);
    expect(done()).toBe(1);
  });

  it('names every missing field and a bad country, and sends nothing', async () => {
    const { root } = await opened();
    await set(field(root, 'Country'), 'F1');
    await submit(root);
    expect(hub.posted).toEqual([]);
    const errors = [...root.querySelectorAll('[role="alert"], .field-error')].map((e) => e.textContent ?? '');
    expect(errors.some((e) => e.includes('Required') || e.includes('required'))).toBe(true);
    expect(errors.some((e) => e.includes('Two-letter country'))).toBe(true);
  });

  it('speaks French', async () => {
    setLocale('fr');
    const { root } = await opened();
    expect(field(root, 'Numéro SIM')).toBeTruthy();
    expect(root.textContent).toContain('Port');
  });
});
