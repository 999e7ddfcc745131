/**
 * Screenshots of the screens sessions 22 and 23 added (docs/screenshots/, linked from the
 * README): the campaign form with its dial string, a customer's reply tagged with its campaign
 * in the inbox, and a message's details once a late report settled it. `npm run screenshots -w e2e`
 * (skipped in the normal run).
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { fault } from '../harness/box.ts';
import { apiLogin, REPO } from '../harness/stack.ts';
import { customer, expect, handset, hub, inject, loginAs, test } from '../harness/fixtures.ts';

const out = (name: string) => join(REPO, 'docs/screenshots', `${name}.png`);
const LOOKS = [['en', 'light'], ['fr', 'dark']] as const;

test.skip(process.env.SMSGATE_SCREENSHOTS !== '1', 'only with SMSGATE_SCREENSHOTS=1');

/** Sets the language and theme, reloads, and waits until the page wears them. */
async function wear(page: Page, locale: 'en' | 'fr', theme: 'light' | 'dark'): Promise<void> {
  await page.evaluate(([l, t]) => {
    localStorage.setItem('smsgate.locale', l ?? 'en');
    localStorage.setItem('smsgate.theme', t ?? 'light');
  }, [locale, theme]);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
  await expect(page.locator('html')).toHaveAttribute('lang', locale);
}

test('the new campaign form with a dial string, light and dark', async ({ page, stack }) => {
  await page.setViewportSize({ width: 1280, height: 1100 });
  await loginAs(page, stack.info, 'tenant_admin');
  await page.goto('/campaigns');
  for (const [locale, theme] of LOOKS) {
    await wear(page, locale, theme);
    await page.getByRole('button', { name: locale === 'en' ? 'New campaign' : 'Nouvelle campagne' }).click();
    const form = page.locator('form.campaign-form');
    await expect(form).toBeVisible();
    const boxes = form.locator('.campaign-channels input[type=checkbox]');
    await expect(boxes).toHaveCount(4);
    for (let i = 1; i < 4; i++) await boxes.nth(i).check();
    await form.getByLabel(locale === 'en' ? 'Name' : 'Nom', { exact: true }).fill(locale === 'en' ? 'Winter sale' : 'Soldes d’hiver');
    await form.getByLabel(locale === 'en' ? 'Dial string (ports)' : 'Chaîne de numérotation (ports)').fill('(0.3)');
    await form.locator('textarea').fill(locale === 'en' ? 'Hello {{first_name}}, -30% this week. Questions? Just reply.' : 'Bonjour {{first_name}}, -30 % cette semaine. Une question ? Répondez.');
    await page.screenshot({ path: out(`campaign-form-${locale}-${theme}`), fullPage: true });
  }
  await wear(page, 'en', 'light');
});

test('a reply to a campaign, tagged in the inbox, light and dark', async ({ page, stack }) => {
  test.setTimeout(90_000);
  const admin = await hub(stack, 'tenant_admin');
  const sim = stack.info.sim_numbers[0] ?? '';
  const channel = (await admin.list<{ id: string; sim_number: string }>('/api/v1/channels')).find((c) => c.sim_number === sim);
  const name = 'Winter sale';
  const created = await admin.post<{ campaign: { id: string } }>('/api/v1/campaigns', {
    name,
    channels: [channel?.id],
    template: 'Winter sale: -30% this week. Questions? Just reply.',
    schedule: { timezone: 'UTC', from: '00:00', to: '23:59', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
  });
  const id = created.campaign.id;
  const who = customer();
  const token = await apiLogin(stack.info.hub_api, stack.info.tenant_admin);
  const up = await fetch(`${stack.info.hub_api}/api/v1/campaigns/${id}/recipients/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: `number\n${who}\n`,
  });
  expect(up.ok, await up.text()).toBe(true);
  await admin.post(`/api/v1/campaigns/${id}/action`, { action: 'start' });
  await expect.poll(async () => (await handset(stack, who)).length, { timeout: 30_000 }).toBe(1);
  await inject(stack, { from: who, to: sim, text: 'Does it include boots?' });

  await page.setViewportSize({ width: 1280, height: 760 });
  await loginAs(page, stack.info, 'tenant_admin');
  const row = page.locator('.conv-row', { hasText: who });
  await expect(row.getByTestId('conv-campaign')).toBeVisible({ timeout: 20_000 });
  await row.click();
  for (const [locale, theme] of LOOKS) {
    await wear(page, locale, theme);
    await page.getByTestId('conv-search').fill(who);
    await expect(page.locator('.conv-header').getByTestId('conv-campaign')).toContainText(name);
    await expect(page.locator('.bubble-in')).toContainText('boots');
    await page.screenshot({ path: out(`inbox-campaign-reply-${locale}-${theme}`) });
  }
  await wear(page, 'en', 'light');
});

test('the details of a reply whose late report settled it, light and dark', async ({ page, stack }) => {
  // As in evidence.spec.ts: the modem's answer is lost, the reply turns unknown after the demo's
  // 15 s send timeout, and the network's report 30 s later settles it as delivered.
  test.setTimeout(150_000);
  const modem = 1;
  const sim = stack.info.sim_numbers[modem] ?? '';
  const from = customer();
  await page.setViewportSize({ width: 1280, height: 900 });
  await loginAs(page, stack.info, 'agent');
  await expect(page.locator('[data-live="open"]')).toBeAttached();
  await inject(stack, { from, to: sim, text: 'Has my parcel left?' });
  const row = page.locator('.conv-row', { hasText: from });
  await expect(row).toBeVisible({ timeout: 20_000 });
  await row.click();
  await fault(stack, modem, { kind: 'answer-lost', sends: 1, report_delay_ms: 30_000 });
  try {
    await page.getByLabel('Reply').fill('It left this morning.');
    await page.getByRole('button', { name: 'Send' }).click();
    const bubble = page.locator('.bubble-out', { hasText: 'It left this morning.' });
    await expect(bubble).toHaveAttribute('data-state', 'unknown', { timeout: 45_000 });
    await expect(bubble).toHaveAttribute('data-state', 'delivered', { timeout: 60_000 });
  } finally {
    await fault(stack, modem, { kind: 'answer-lost', sends: 0 });
  }
  for (const [locale, theme] of LOOKS) {
    await wear(page, locale, theme);
    const bubble = page.locator('.bubble-out', { hasText: 'It left this morning.' });
    await bubble.getByTestId('message-details-open').click();
    await expect(page.getByRole('dialog').getByTestId('settled-evidence').locator('li[data-fact="settled"]')).toBeVisible();
    await page.screenshot({ path: out(`message-settled-${locale}-${theme}`) });
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toBeHidden();
  }
  await wear(page, 'en', 'light');
});
