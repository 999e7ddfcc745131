import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';

const channels = [
  { id: 'c0', gateway_id: 'g', port: '0', sim_number: '+33700000010', holder_id: 't', destination: { kind: 'none' }, created_at: '2026-12-01T00:00:00Z' },
  { id: 'c1', gateway_id: 'g', port: '1', sim_number: '+33700000011', holder_id: 't', destination: { kind: 'none' }, created_at: '2026-12-01T00:00:00Z' },
];
const sent: unknown[] = [];
vi.stubGlobal('fetch', async (input: Request | string, init?: RequestInit) => {
  const req = input instanceof Request ? input : new Request(String(input), init);
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  if (req.method === 'GET') return json(200, { items: channels, total: 2 });
  sent.push(await req.json());
  return json(422, { error: { code: 'invalid', message: 'dial_string: range 3-0 at column 2 goes backwards (write 0-3)', field: 'dial_string' } });
});

const settle = () => new Promise((r) => setTimeout(r, 20));
/** Waits (up to 5 s, for a loaded machine) until the channels arrived from the fake hub. */
async function channelsShown(root: HTMLElement): Promise<void> {
  for (let i = 0; i < 250 && root.querySelectorAll('.campaign-channels input[type=checkbox]').length < 2; i++) await settle();
}

describe('the new campaign form', () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
    sent.length = 0;
  });

  it('sends the chosen channels and the dial string, and shows the hub’s refusal on the dial string field', async () => {
    const { NewCampaign } = await import('./Campaigns');
    const root = document.createElement('div');
    document.body.append(root);
    render(<NewCampaign onCreated={() => {}} />, root);
    await channelsShown(root);
    const boxes = [...root.querySelectorAll<HTMLInputElement>('.campaign-channels input[type=checkbox]')];
    expect(boxes.map((b) => b.checked)).toEqual([true, false]);
    boxes[1]?.click();
    await settle();
    const field = (label: string) => [...root.querySelectorAll('label')].find((l) => l.textContent === label)?.htmlFor;
    const dial = root.querySelector<HTMLInputElement>(`#${CSS.escape(field('Dial string (ports)') ?? '')}`);
    expect(dial).not.toBeNull();
    const type = (el: HTMLInputElement | HTMLTextAreaElement, v: string) => {
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    };
    type(dial as HTMLInputElement, ' (3.0) ');
    await settle();
    root.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    for (let i = 0; i < 250 && !root.querySelector('.field-invalid .field-error'); i++) await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ channels: ['c0', 'c1'], dial_string: '(3.0)' });
    const error = root.querySelector('.field-invalid .field-error');
    expect(error?.textContent).toContain('goes backwards');
  });

  it('labels the dial string in French', async () => {
    setLocale('fr');
    const { NewCampaign } = await import('./Campaigns');
    const root = document.createElement('div');
    document.body.append(root);
    render(<NewCampaign onCreated={() => {}} />, root);
    await channelsShown(root);
    expect(root.textContent).toContain('Chaîne de numérotation (ports)');
    expect(root.textContent).toContain('Canaux');
  });
});
