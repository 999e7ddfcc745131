import { setLocale } from '@smsgate/shared/i18n/core';
import { toasts } from '@smsgate/shared/components/Toasts';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../../api/hub';

/** A fake hub behind `fetch`: records each transfer; `hub.refuse` answers the next one with 422. */
const hub = vi.hoisted(() => {
  const state = { posted: [] as Array<{ path: string; body: unknown }>, refuse: null as string | null };
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://hub');
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (req.method === 'POST' && url.pathname.endsWith('/transfer')) {
      state.posted.push({ path: url.pathname, body: await req.json() });
      if (state.refuse) {
        const message = state.refuse;
        state.refuse = null;
        return json(422, { error: { code: 'invalid', message, field: 'user' } });
      }
      return json(200, { id: url.pathname.split('/')[4] });
    }
    return json(404, { error: { code: 'not_found', message: 'no such route' } });
  }) as typeof fetch;
  return state;
});

import { ReassignDialog, reassignChoices } from './ReassignDialog';

type Agent = Schemas['AgentRow'];
const agent = (user_id: string, name: string, state: Agent['state']): Agent =>
  ({ user_id, name, login: name.toLowerCase(), role: 'agent', state, status: state === 'away' ? 'away' : 'available', since: '2026-12-04T09:00:00Z', active: 0, completed_today: 0 }) as unknown as Agent;
const AGENTS = [agent('u-alice', 'Alice', 'busy'), agent('u-bob', 'Bob', 'available'), agent('u-cara', 'Cara', 'offline'), agent('u-dan', 'Dan', 'available')];
const WAITING = { interaction_id: 'c-1', contact_number: '+33612345678', since: '2026-12-04T09:50:00Z', assignee_id: 'u-alice' } as unknown as Schemas['FloorView']['waiting'][number];

const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });
const roots: HTMLElement[] = [];

function open(onDone = () => {}, onClose = () => {}): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  roots.push(root);
  render(<ReassignDialog waiting={WAITING} agents={AGENTS} onClose={onClose} onDone={onDone} />, root);
  return root;
}

async function submit(root: HTMLElement, pick?: string): Promise<void> {
  const select = root.querySelector<HTMLSelectElement>('select');
  if (!select) throw new Error('no agent choice');
  if (pick) {
    select.value = pick;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
  }
  root.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  for (let i = 0; i < 20 && hub.posted.length === 0; i++) await settle();
  await settle();
  await settle();
}

describe('reassigning a waiting conversation from the monitor', () => {
  afterEach(() => {
    setLocale('en');
    for (const r of roots.splice(0)) render(null, r);
    document.body.innerHTML = '';
    hub.posted.length = 0;
    hub.refuse = null;
    toasts.value = [];
  });

  it('offers every agent but the assignee, available ones first, with their state', () => {
    expect(reassignChoices(AGENTS, 'u-alice').map((a) => a.user_id)).toEqual(['u-bob', 'u-dan', 'u-cara']);
    expect(reassignChoices(AGENTS, null).map((a) => a.user_id)).toEqual(['u-bob', 'u-dan', 'u-alice', 'u-cara']);
    const root = open();
    const options = [...root.querySelectorAll('option')].map((o) => o.textContent);
    expect(options).toEqual(['Bob (Available)', 'Dan (Available)', 'Cara (Offline)']);
  });

  it('transfers it to the chosen agent, says so and reloads the monitor', async () => {
    const done = vi.fn();
    const closed = vi.fn();
    const root = open(done, closed);
    await submit(root, 'u-dan');
    expect(hub.posted).toEqual([{ path: '/api/v1/interactions/c-1/transfer', body: { user: 'u-dan' } }]);
    expect(toasts.value.map((t) => t.text)).toEqual(['The conversation with +33612345678 is now assigned to Dan.']);
    expect(done).toHaveBeenCalledTimes(1);
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('keeps the dialog open with the hub refusal shown', async () => {
    hub.refuse = 'user: no such active user in this tenant';
    const done = vi.fn();
    const closed = vi.fn();
    const root = open(done, closed);
    await submit(root);
    expect(hub.posted).toEqual([{ path: '/api/v1/interactions/c-1/transfer', body: { user: 'u-bob' } }]);
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('no such active user');
    expect(done).not.toHaveBeenCalled();
    expect(closed).not.toHaveBeenCalled();
  });

  it('speaks French', async () => {
    setLocale('fr');
    const root = open();
    await settle();
    expect([...root.querySelectorAll('option')].map((o) => o.textContent)).toEqual(['Bob (Disponible)', 'Dan (Disponible)', 'Cara (Hors ligne)']);
    expect(root.textContent).toContain('Réassigner');
  });
});
