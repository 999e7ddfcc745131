import { setLocale } from '@smsgate/shared/i18n/core';
import { toasts } from '@smsgate/shared/components/Toasts';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

const TENANT = '0190a000-0000-7000-8000-0000000000d1';
const LIST = '0190a000-0000-7000-8000-0000000000f1';

/** A fake hub behind `fetch`: the export answers CSV with a file name, or refuses for another tenant. */
const hub = vi.hoisted(() => {
  const asked: string[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url, 'http://hub');
    asked.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/api/v1/contacts/export' && url.searchParams.get('org') !== 'other') {
      const name = url.searchParams.has('list') ? 'contacts-vip.csv' : 'contacts-acme.csv';
      return new Response('SMS_NUMBER,FULLNAME,BUSINESS,EMAIL,NOTES\n+33612345678,Élodie Martin,,,\n', {
        status: 200,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` },
      });
    }
    return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no such tenant' } }), { status: 404, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { asked };
});

import { contactsExportUrl, ExportButton } from './ExportButton';

const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 0)); });

const roots: HTMLElement[] = [];
async function click(org: string | null, list?: string): Promise<HTMLAnchorElement[]> {
  const saved: HTMLAnchorElement[] = [];
  const spy = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push(this);
  });
  URL.createObjectURL = vi.fn(() => 'blob:contacts');
  URL.revokeObjectURL = vi.fn();
  const root = document.createElement('div');
  document.body.append(root);
  roots.push(root);
  render(<ExportButton org={org} list={list} />, root);
  await settle();
  root.querySelector('button')?.click();
  for (let i = 0; i < 20 && toasts.value.length === 0; i++) await settle();
  spy.mockRestore();
  return saved;
}

describe('the contacts export button', () => {
  afterEach(() => {
    setLocale('en');
    for (const r of roots.splice(0)) render(null, r);
    document.body.innerHTML = '';
    hub.asked.length = 0;
    toasts.value = [];
  });

  it('asks for the chosen tenant and list, or the caller’s own contacts with neither', () => {
    expect(contactsExportUrl(null)).toBe('/api/v1/contacts/export');
    expect(contactsExportUrl(TENANT)).toBe(`/api/v1/contacts/export?org=${TENANT}`);
    expect(contactsExportUrl(TENANT, LIST)).toBe(`/api/v1/contacts/export?org=${TENANT}&list=${LIST}`);
  });

  it('saves the CSV under the name the hub gives and says so', async () => {
    const saved = await click(TENANT);
    expect(hub.asked).toEqual([`GET /api/v1/contacts/export?org=${TENANT}`]);
    expect(saved.map((a) => a.download)).toEqual(['contacts-acme.csv']);
    expect(toasts.value.map((t) => [t.text, t.kind])).toEqual([['Contacts exported: contacts-acme.csv', 'success']]);
  });

  it('exports one list, in French', async () => {
    setLocale('fr');
    const saved = await click(TENANT, LIST);
    expect(hub.asked).toEqual([`GET /api/v1/contacts/export?org=${TENANT}&list=${LIST}`]);
    expect(saved.map((a) => a.download)).toEqual(['contacts-vip.csv']);
    expect(toasts.value.map((t) => t.text)).toEqual(['Contacts exportés : contacts-vip.csv']);
  });

  it('shows the hub’s refusal and saves nothing', async () => {
    const saved = await click('other');
    expect(saved).toEqual([]);
    expect(toasts.value.map((t) => t.kind)).toEqual(['error']);
    expect(toasts.value[0]?.text).toContain('no such tenant');
  });
});
