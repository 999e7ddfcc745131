/**
 * The screenshots in docs/screenshots/ (linked from the README): `npm run screenshots -w e2e`
 * (skipped in the normal run).
 */
import { join } from 'node:path';
import { REPO } from '../harness/stack.ts';
import { customer, expect, hub, inject, loginAs, test } from '../harness/fixtures.ts';

const out = (name: string) => join(REPO, 'docs/screenshots', `${name}.png`);

test.skip(process.env.SMSGATE_SCREENSHOTS !== '1', 'only with SMSGATE_SCREENSHOTS=1');

test('screenshots of the main screens, light and dark', async ({ page, stack }) => {
  await page.setViewportSize({ width: 1280, height: 760 });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Log in to smsgate' })).toBeVisible();
  await page.screenshot({ path: out('login-light') });

  const sims = stack.info.sim_numbers;
  const texts = ['Hello, is my parcel on its way?', 'Bonjour, je voudrais changer mon rendez-vous', 'Can I pay by card at delivery?', 'STOP'];
  const numbers = texts.map(() => customer());
  for (const [i, text] of texts.entries()) await inject(stack, { from: numbers[i] ?? '', to: sims[i % sims.length] ?? '', text });
  const admin = await hub(stack, 'tenant_admin');
  await admin.post('/api/v1/contacts', { number: numbers[0], name: 'Amelia Clarke', business: 'Clarke & Co' });
  await expect.poll(async () => (await admin.list<unknown>('/api/v1/interactions')).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);

  await loginAs(page, stack.info, 'agent');
  const row = page.locator('.conv-row', { hasText: 'Amelia Clarke' });
  await row.click();
  await page.getByLabel('Reply').fill('Yes! It left the depot this morning 🚚');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.locator('.bubble-out').last()).toHaveAttribute('data-state', 'delivered', { timeout: 30_000 });
  await page.getByLabel('Reply').fill('Anything else I can do for you?');
  await page.screenshot({ path: out('inbox-light') });

  await page.getByRole('button', { name: /^Account menu for/ }).click();
  await page.getByRole('menuitemradio', { name: 'Dark mode' }).click();
  await page.screenshot({ path: out('inbox-dark') });
  await page.getByRole('button', { name: /^Account menu for/ }).click();
  await page.getByRole('menuitemradio', { name: 'Français' }).click();
  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Interactions' }).click();
  await expect(page.locator('.itable-row').nth(1)).toBeVisible();
  await page.screenshot({ path: out('interactions-fr-dark') });
  await page.getByRole('button', { name: /^Menu du compte de/ }).click();
  await page.getByRole('menuitemradio', { name: 'English' }).click();
  await page.getByRole('button', { name: /^Account menu for/ }).click();
  await page.getByRole('menuitemradio', { name: 'Light mode' }).click();

  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto('/inbox');
  await expect(page.locator('.conv-row').first()).toBeVisible();
  await page.screenshot({ path: out('inbox-phone') });
  await page.locator('.conv-row', { hasText: 'Amelia Clarke' }).click();
  await expect(page.locator('.bubble-out').first()).toBeVisible();
  await page.screenshot({ path: out('conversation-phone') });
});

test('screenshots of the administration screens, light and dark', async ({ page, stack }) => {
  const admin = await hub(stack, 'tenant_admin');
  const people = [['Amelia Clarke', 'Clarke & Co'], ['Bruno Martin', 'Boulangerie Martin'], ['Chloé Durand', '']] as const;
  const numbers = people.map(() => customer());
  for (const [i, [name, business]] of people.entries()) await admin.post('/api/v1/contacts', { number: numbers[i], name, business, email: `${name.split(' ')[0]?.toLowerCase()}@example.com` });
  const stopped = customer();
  await admin.post('/api/v1/opt-outs', { number: stopped });
  await page.setViewportSize({ width: 1280, height: 760 });
  await loginAs(page, stack.info, 'tenant_admin');
  await page.goto('/contacts');
  await expect(page.locator('tbody tr').first()).toBeVisible();
  await page.screenshot({ path: out('contacts-light') });
  await page.goto('/bulk');
  await page.getByLabel('Campaign name').fill('Spring sale');
  await page.getByLabel('Message', { exact: true }).fill('Spring sale: -20% on everything until Sunday! Reply STOP to opt out.');
  await page.getByTestId('bulk-numbers').fill([...numbers, numbers[0], stopped].join('\n'));
  await page.screenshot({ path: out('bulk-compose-light') });
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(page.locator('[data-result="delivered"]').first()).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: /^Account menu for/ }).click();
  await page.getByRole('menuitemradio', { name: 'Dark mode' }).click();
  await page.screenshot({ path: out('bulk-results-dark') });
  await page.goto('/users');
  await expect(page.locator('tbody tr').first()).toBeVisible();
  await page.screenshot({ path: out('users-dark') });
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto('/contacts');
  await expect(page.locator('tbody tr').first()).toBeVisible();
  await page.screenshot({ path: out('contacts-phone-dark') });
  await page.getByRole('button', { name: /^Account menu for/ }).click();
  await page.getByRole('menuitemradio', { name: 'Light mode' }).click();
});
