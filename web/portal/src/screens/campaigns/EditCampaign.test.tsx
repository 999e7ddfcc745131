import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';

const id = '0190a000-0000-7000-8000-0000000000ca';
const counters = { total: 2, to_process: 2, blocked: 0, opted_out: 0, duplicate: 0, invalid: 0, queued: 0, sent: 0, delivered: 0, failed: 0, expired: 0 };
function viewOf(state: string, dial_string: string | null) {
  return {
    campaign: {
      id,
      org_id: 't',
      name: 'Dialer',
      channels: ['c0', 'c3'],
      dial_string,
      template: 'Hi {{name}}',
      schedule: { timezone: 'Europe/Paris', from: '09:00', to: '18:00', days: ['mon'], start_date: null, end_date: null },
      interval_ms: 100,
      priority: 0,
      options: { dnc_check: true, opt_out_check: true, skip_already_messaged: true, validity_minutes: null },
      state,
      columns: ['name'],
      importing: null,
      created_at: '2026-12-01T00:00:00Z',
      updated_at: '2026-12-01T00:00:00Z',
      started_at: null,
      finished_at: null,
    },
    counters,
    in_window: false,
    next_window: null,
  };
}

let current = viewOf('paused', '0-3');
const patches: Record<string, unknown>[] = [];
vi.stubGlobal('fetch', async (input: Request | string, init?: RequestInit) => {
  const req = input instanceof Request ? input : new Request(String(input), init);
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const path = new URL(req.url, 'http://hub').pathname;
  if (req.method === 'PATCH') {
    const body = (await req.json()) as Record<string, unknown>;
    patches.push(body);
    // The hub's checks, as at creation.
    if (body.dial_string === '(3.0)') return json(422, { error: { code: 'invalid', message: 'dial_string: range 3-0 at column 2 goes backwards (write 0-3)', field: 'dial_string' } });
    if (body.dial_string === '9') return json(422, { error: { code: 'invalid', message: "dial_string: 9 lists none of the ports of the campaign's channels (their ports: 0, 3)", field: 'dial_string' } });
    current = viewOf('paused', body.dial_string ? String(body.dial_string) : null);
    current.campaign.template = String(body.template);
    return json(200, current);
  }
  if (path.endsWith('/stats')) return json(200, { per_minute: [], rate_per_minute: 0, eta: null });
  if (path.endsWith('/preview')) return json(200, []);
  return json(200, current);
});

const settle = () => new Promise((r) => setTimeout(r, 30));

async function page(): Promise<HTMLElement> {
  const { CampaignPage } = await import('./Campaign');
  const root = document.createElement('div');
  document.body.append(root);
  render(<CampaignPage id={id} />, root);
  await settle();
  return root;
}

const button = (root: HTMLElement, text: string) => [...root.querySelectorAll('button')].find((b) => b.textContent === text);
const input = (root: HTMLElement, label: string) => {
  const forId = [...root.querySelectorAll('label')].find((l) => l.textContent === label)?.htmlFor ?? '';
  return root.querySelector<HTMLInputElement>(`#${CSS.escape(forId)}`);
};
const type = (el: HTMLInputElement, v: string) => {
  el.value = v;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};
const submit = async (root: HTMLElement) => {
  root.querySelector('[data-testid="campaign-edit"]')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  await settle();
};

describe('editing a paused campaign', () => {
  afterEach(() => {
    setLocale('en');
    document.querySelectorAll('body > div').forEach((d) => render(null, d));
    document.body.innerHTML = '';
    patches.length = 0;
    current = viewOf('paused', '0-3');
  });

  it('changes the dial string with the checks and errors of creation, then saves it', async () => {
    const root = await page();
    const edit = button(root, 'Edit');
    expect(edit?.getAttribute('aria-expanded')).toBe('false');
    edit?.click();
    await settle();
    const dial = input(root, 'Dial string (ports)');
    expect(dial?.value).toBe('0-3');
    type(dial as HTMLInputElement, ' (3.0) ');
    await settle();
    await submit(root);
    expect(patches[0]).toMatchObject({ dial_string: '(3.0)', template: 'Hi {{name}}', interval_ms: 100, schedule: { timezone: 'Europe/Paris', days: ['mon'] } });
    const error = root.querySelector('[data-testid="campaign-edit"] .field-invalid .field-error');
    expect(error?.textContent).toContain('goes backwards');
    expect(dial?.getAttribute('aria-invalid')).toBe('true');

    type(dial as HTMLInputElement, '9');
    await settle();
    await submit(root);
    expect(root.querySelector('[data-testid="campaign-edit"] .field-invalid .field-error')?.textContent).toContain('their ports: 0, 3');

    type(dial as HTMLInputElement, '(0.3)');
    await settle();
    await submit(root);
    expect(patches[2]).toMatchObject({ dial_string: '(0.3)' });
    expect(root.querySelector('[data-testid="campaign-edit"]')).toBeNull();
    expect(root.querySelector('[data-testid="campaign-dial-string"]')?.textContent).toContain('(0.3)');
  });

  it('sends an emptied dial string, which gives every channel back', async () => {
    const root = await page();
    button(root, 'Edit')?.click();
    await settle();
    type(input(root, 'Dial string (ports)') as HTMLInputElement, '  ');
    await settle();
    await submit(root);
    expect(patches[0]?.dial_string).toBe('');
    expect(root.querySelector('[data-testid="campaign-dial-string"]')).toBeNull();
  });

  it('is not offered while the campaign runs', async () => {
    current = viewOf('running', null);
    const root = await page();
    expect(button(root, 'Edit')).toBeUndefined();
    expect(root.querySelector('[data-testid="campaign-edit"]')).toBeNull();
  });

  it('speaks French', async () => {
    setLocale('fr');
    const root = await page();
    button(root, 'Modifier')?.click();
    await settle();
    expect(root.textContent).toContain('Modifier la campagne');
    expect(input(root, 'Chaîne de numérotation (ports)')?.value).toBe('0-3');
    expect(button(root, 'Enregistrer les modifications')).toBeDefined();
  });
});
