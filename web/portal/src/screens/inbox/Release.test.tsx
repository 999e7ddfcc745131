import { setLocale } from '@smsgate/shared/i18n/core';
import { toasts } from '@smsgate/shared/components/Toasts';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Interaction } from '../../api/hub';

const QUEUE = '0190a000-0000-7000-8000-0000000000a1';
const AGENT = '0190a000-0000-7000-8000-0000000000b1';

/** A fake hub behind `fetch` (installed before the API client captures it); it records what was posted. */
const hub = vi.hoisted(() => {
  const posted: Array<{ path: string; body: unknown }> = [];
  const asked: string[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://hub');
    asked.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (req.method === 'GET' && url.pathname.endsWith('/transfer-targets')) {
      return json(200, { users: [], queues: [{ id: '0190a000-0000-7000-8000-0000000000a1', name: 'Support' }] });
    }
    if (req.method === 'GET' && url.pathname.endsWith('/messages')) return json(200, { items: [], total: 0 });
    if (req.method === 'GET' && /\/(notes|labels)$/.test(url.pathname)) return json(200, []);
    if (req.method === 'POST' && url.pathname.endsWith('/transfer')) {
      const body = (await req.json()) as { queue?: string };
      posted.push({ path: url.pathname, body });
      return json(200, { ...hub.conversation, assignee_id: null, queue_id: body.queue, updated_at: '2026-12-03T09:00:00Z' });
    }
    return json(404, { error: { code: 'not_found', message: 'no such route' } });
  }) as typeof fetch;
  return { posted, asked, conversation: {} as Record<string, unknown> };
});

import { me } from '../../app/session';
import { queues } from '../../app/directory';
import { Conversation } from './Conversation';
import { mayRelease } from './release';
import { applyEvent, conversations, resetStore } from './store';

const held: Interaction = {
  id: '0190a000-0000-7000-8000-0000000000c1',
  org_id: '0190a000-0000-7000-8000-0000000000d1',
  channel_id: '0190a000-0000-7000-8000-0000000000e1',
  contact_number: '+33612345678',
  status: 'open',
  read: true,
  queue_id: QUEUE,
  assignee_id: AGENT,
  campaign: null,
  created_at: '2026-12-03T08:00:00Z',
  updated_at: '2026-12-03T08:30:00Z',
};

const roots: HTMLElement[] = [];
const unmount = () => {
  for (const r of roots.splice(0)) render(null, r);
  document.body.innerHTML = '';
};

const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

/** The conversation as the signed-in agent sees it, with its actions menu open. */
async function menuOf(c: Interaction): Promise<HTMLElement> {
  hub.conversation = { ...c };
  conversations.value = new Map([[c.id, c]]);
  const root = document.createElement('div');
  document.body.append(root);
  roots.push(root);
  render(<Conversation id={c.id} backHref="/inbox" />, root);
  await settle();
  const button = root.querySelector<HTMLButtonElement>('.conv-header button[aria-haspopup]');
  if (!button) throw new Error('no actions menu');
  button.click();
  await settle();
  return root;
}

const item = (root: HTMLElement, label: string) => [...root.querySelectorAll<HTMLElement>('[role="menuitem"]')].find((x) => x.textContent?.trim() === label);

describe('releasing a conversation to its group', () => {
  beforeEach(() => {
    me.value = {
      role: 'agent',
      org: { id: held.org_id, kind: 'tenant', name: 'Demo Tenant', path: '/p/r/t', created_at: '2026-12-01T00:00:00Z' } as never,
      user: { id: AGENT, org_id: held.org_id, login: 'agent', name: 'Agent', role: 'agent', state: 'active', created_at: '2026-12-01T00:00:00Z' } as never,
    };
    queues.value = [];
  });
  afterEach(() => {
    setLocale('en');
    unmount();
    hub.posted.length = 0;
    hub.asked.length = 0;
    toasts.value = [];
  });

  it('is offered only for a conversation that a queue holds and someone is assigned, while it is not closed', () => {
    expect(mayRelease(held)).toBe(true);
    expect(mayRelease({ ...held, assignee_id: null })).toBe(false);
    expect(mayRelease({ ...held, queue_id: null })).toBe(false);
    expect(mayRelease({ ...held, status: 'closed' })).toBe(false);
  });

  it('sends it back to its queue with no one assigned, naming the queue an agent may not list from the transfer targets', async () => {
    const root = await menuOf(held);
    const release = item(root, 'Release to the group');
    expect(release).toBeDefined();
    release?.click();
    for (let i = 0; i < 20 && hub.posted.length === 0; i++) await settle();
    await settle();
    expect(hub.posted).toEqual([{ path: `/api/v1/interactions/${held.id}/transfer`, body: { queue: QUEUE } }]);
    expect(hub.asked).toContain(`GET /api/v1/interactions/${held.id}/transfer-targets`);
    expect(toasts.value.map((t) => t.text)).toEqual(['Released to the queue Support.']);
    expect(conversations.value.get(held.id)?.assignee_id).toBeNull();
    // Nothing is left to release.
    root.querySelector<HTMLButtonElement>('.conv-header button[aria-haspopup]')?.click();
    await settle();
    expect(item(root, 'Release to the group')).toBeUndefined();
  });

  it('takes the queue name from the directory when the role may read the queues', async () => {
    queues.value = [{ id: QUEUE, org_id: held.org_id, name: 'Billing', description: null, members: [], created_at: '2026-12-01T00:00:00Z' } as never];
    const root = await menuOf(held);
    item(root, 'Release to the group')?.click();
    for (let i = 0; i < 20 && toasts.value.length === 0; i++) await settle();
    expect(hub.asked).not.toContain(`GET /api/v1/interactions/${held.id}/transfer-targets`);
    expect(toasts.value.map((t) => t.text)).toEqual(['Released to the queue Billing.']);
  });

  it('says it in French, and offers nothing to release for an unassigned conversation', async () => {
    setLocale('fr');
    const root = await menuOf(held);
    item(root, 'Libérer au groupe')?.click();
    for (let i = 0; i < 20 && toasts.value.length === 0; i++) await settle();
    expect(toasts.value.map((t) => t.text)).toEqual(["Libérée à la file d'attente Support."]);
    unmount();
    const free = await menuOf({ ...held, id: '0190a000-0000-7000-8000-0000000000c2', assignee_id: null });
    expect(item(free, 'Transférer')).toBeDefined();
    expect(item(free, 'Libérer au groupe')).toBeUndefined();
  });
});

describe('a conversation a colleague hands out of sight', () => {
  beforeEach(() => {
    me.value = {
      role: 'agent',
      org: { id: held.org_id, kind: 'tenant', name: 'Demo Tenant', path: '/p/r/t', created_at: '2026-12-01T00:00:00Z' } as never,
      user: { id: AGENT, org_id: held.org_id, login: 'agent', name: 'Agent', role: 'agent', state: 'active', created_at: '2026-12-01T00:00:00Z' } as never,
    };
  });
  afterEach(() => {
    setLocale('en');
    unmount();
    resetStore();
  });

  it('leaves the list and the open pane says why, in English and in French, and comes back if it is handed back', async () => {
    const root = await menuOf(held);
    expect(root.querySelector('.conv-header')).not.toBeNull();
    act(() => applyEvent({ type: 'interaction_left', interaction_id: held.id }));
    await settle();
    expect(conversations.value.has(held.id)).toBe(false);
    expect(root.querySelector('[role="alert"]')?.textContent).toBe(
      'This conversation was handed to a colleague or another queue: it is no longer yours to see.',
    );
    setLocale('fr');
    await settle();
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('confiée à un collègue');
    act(() => applyEvent({ type: 'interaction_updated', interaction: { ...held, updated_at: '2026-12-03T09:30:00Z' } }));
    await settle();
    expect(root.querySelector('[role="alert"]')).toBeNull();
    expect(root.querySelector('.conv-header')).not.toBeNull();
  });
});
