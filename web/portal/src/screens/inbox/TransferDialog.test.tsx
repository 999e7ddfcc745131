import { setLocale } from '@smsgate/shared/i18n/core';
import { toasts } from '@smsgate/shared/components/Toasts';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Interaction } from '../../api/hub';

/** A fake hub behind `fetch`: after the transfer, the conversation is readable or not as `hub.visible` says. */
const hub = vi.hoisted(() => {
  const state = { visible: false, posted: [] as unknown[] };
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://hub');
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const id = url.pathname.split('/')[4] ?? '';
    if (req.method === 'GET' && url.pathname.endsWith('/transfer-targets')) {
      return json(200, { users: [], queues: [{ id: 'q-billing', name: 'Billing' }] });
    }
    if (req.method === 'POST' && url.pathname.endsWith('/transfer')) {
      state.posted.push(await req.json());
      return json(200, { ...base, id, queue_id: 'q-billing', assignee_id: null, updated_at: '2026-12-03T09:00:00Z' });
    }
    if (req.method === 'GET' && /^\/api\/v1\/interactions\/[^/]+$/.test(url.pathname)) {
      return state.visible
        ? json(200, { ...base, id, queue_id: 'q-billing', assignee_id: null, updated_at: '2026-12-03T09:00:00Z' })
        : json(404, { error: { code: 'not_found', message: 'no such interaction' } });
    }
    return json(404, { error: { code: 'not_found', message: 'no such route' } });
  }) as typeof fetch;
  const base = {
    org_id: 'org', channel_id: 'ch', contact_number: '+33612345678', status: 'open', read: true,
    queue_id: 'q-support', assignee_id: null, campaign: null, created_at: '2026-12-03T08:00:00Z', updated_at: '2026-12-03T08:30:00Z',
  };
  return state;
});

import { conversations, threads } from './store';
import { TransferDialog } from './TransferDialog';

const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

const roots: HTMLElement[] = [];

/** Opens the dialog on `/inbox/<id>`, picks "A queue", Billing, and submits. */
async function transferToBilling(id: string): Promise<HTMLElement> {
  const c: Interaction = {
    id, org_id: 'org', channel_id: 'ch', contact_number: '+33612345678', status: 'open', read: true,
    queue_id: 'q-support', assignee_id: null, campaign: null, created_at: '2026-12-03T08:00:00Z', updated_at: '2026-12-03T08:30:00Z',
  };
  conversations.value = new Map([[id, c]]);
  threads.value = new Map([[id, []]]);
  history.replaceState(null, '', `/inbox/${id}`);
  const root = document.createElement('div');
  document.body.append(root);
  roots.push(root);
  render(<TransferDialog conversation={c} onClose={() => render(null, root)} />, root);
  for (let i = 0; i < 20 && !root.querySelector('select option'); i++) await settle();
  const form = root.querySelector('form');
  if (!form) throw new Error('no transfer form');
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  for (let i = 0; i < 20 && toasts.value.length === 0; i++) await settle();
  await settle();
  await settle();
  return root;
}

describe('transferring a conversation to a queue', () => {
  afterEach(() => {
    setLocale('en');
    for (const r of roots.splice(0)) render(null, r);
    document.body.innerHTML = '';
    hub.posted.length = 0;
    toasts.value = [];
  });

  it('takes it out of the list and back to the inbox when the user may no longer see it', async () => {
    hub.visible = false;
    await transferToBilling('c-gone');
    expect(hub.posted).toEqual([{ queue: 'q-billing' }]);
    expect(toasts.value.map((t) => t.text)).toEqual(['Transferred to Billing.']);
    expect(conversations.value.has('c-gone')).toBe(false);
    expect(threads.value.has('c-gone')).toBe(false);
    expect(location.pathname).toBe('/inbox');
  });

  it('keeps it, updated, when the user still sees it (a manager of both queues), in French too', async () => {
    setLocale('fr');
    hub.visible = true;
    await transferToBilling('c-kept');
    expect(toasts.value.map((t) => t.text)).toEqual(['Transférée à Billing.']);
    expect(conversations.value.get('c-kept')?.queue_id).toBe('q-billing');
    expect(location.pathname).toBe('/inbox/c-kept');
  });
});
