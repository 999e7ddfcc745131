import { customer, expect, expectAccessible, handset, hub, loginAs, test } from '../harness/fixtures.ts';
import { checkScreen, openFromMenu } from './support.ts';

test.describe('bulk messages', () => {
  test('a bulk send with a duplicate and an opted-out number shows "Ignored" and "opted out", and the others delivered', async ({ page, stack }) => {
    // Two delivery reports from the simulated network and four full-page checks (languages, themes, phone).
    test.setTimeout(120_000);
    const admin = await hub(stack, 'tenant_admin');
    const [a, b, stopped] = [customer(), customer(), customer()];
    await admin.post('/api/v1/opt-outs', { number: stopped });
    const campaign = `Spring sale ${Date.now()}`;
    await loginAs(page, stack.info, 'tenant_admin');
    await openFromMenu(page, 'Bulk messages');
    await checkScreen(page, 'bulk compose', { en: 'Bulk messages', fr: 'Envois de masse' });
    await page.getByLabel('Campaign name').fill(campaign);
    await page.getByLabel('Message', { exact: true }).fill('Spring sale: -20% on everything until Sunday!');
    await expect(page.locator('#bulk-counter')).toContainText('1 SMS');
    await expect(page.locator('#bulk-counter')).toContainText('GSM-7');
    await page.getByTestId('bulk-numbers').fill(`${a}\n${b}, ${a}\n${stopped}`);
    await expect(page.getByText('About 4 recipients before duplicates and opt-outs are removed.')).toBeVisible();
    await page.getByRole('button', { name: 'Send', exact: true }).click();

    await expect(page).toHaveURL(/\/bulk\/history\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('heading', { name: campaign, level: 2 })).toBeVisible();
    const results = page.getByRole('table', { name: 'Result per recipient' });
    const rows = results.locator('tbody tr');
    await expect(rows).toHaveCount(4);
    await expect(rows.nth(2)).toContainText(a);
    await expect(rows.nth(2).locator('[data-result]')).toHaveText('Ignored (duplicate)');
    await expect(rows.nth(3)).toContainText(stopped);
    await expect(rows.nth(3).locator('[data-result]')).toHaveText('Not sent: opted out');
    // The two real recipients are delivered, shown live.
    await expect(rows.nth(0).locator('[data-result]')).toHaveAttribute('data-result', 'delivered', { timeout: 30_000 });
    await expect(rows.nth(1).locator('[data-result]')).toHaveAttribute('data-result', 'delivered', { timeout: 30_000 });
    await expect(page.getByTestId('bulk-progress')).toHaveText('2 of 2 messages settled');
    await expect(page.getByTestId('bulk-summary')).toContainText('1 ignored · 1 opted out');
    await expectAccessible(page, 'bulk results');
    expect((await handset(stack, a)).map((m) => m.text)).toEqual(['Spring sale: -20% on everything until Sunday!']);
    expect(await handset(stack, stopped)).toEqual([]);

    await page.getByRole('link', { name: 'History', exact: true }).first().click();
    const history = page.getByRole('table', { name: 'Bulk messages sent' });
    const row = history.locator('tr', { hasText: campaign });
    await expect(row).toContainText('4');
    await checkScreen(page, 'bulk history', { en: 'Bulk messages', fr: 'Envois de masse' });
  });

  test('a bulk send from a contact list and a picked contact names a bad pasted number', async ({ page, stack }) => {
    const admin = await hub(stack, 'tenant_admin');
    const [a, b] = [customer(), customer()];
    const listName = `Bulk list ${Date.now()}`;
    const list = await admin.post<{ id: string }>('/api/v1/contact-lists', { name: listName });
    const ca = await admin.post<{ id: string }>('/api/v1/contacts', { number: a, name: 'Linus Member' });
    await admin.post(`/api/v1/contact-lists/${list.id}/members`, { contacts: [ca.id] });
    await admin.post('/api/v1/contacts', { number: b, name: 'Zelda Picked' });
    await loginAs(page, stack.info, 'tenant_admin');
    await page.goto('/bulk');
    await page.getByLabel('Campaign name').fill(`List ${Date.now()}`);
    await page.getByLabel('Message', { exact: true }).fill('Hello list');
    await page.getByLabel(`${listName} (1 contacts)`).check();
    await page.getByTestId('bulk-contact').fill(`Zelda Picked (${b})`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.locator('.chip', { hasText: 'Zelda Picked' })).toBeVisible();
    await page.getByTestId('bulk-numbers').fill('not a number');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(page.locator('.field-error', { hasText: 'not a number' })).toBeVisible();
    await page.getByTestId('bulk-numbers').fill('');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(page).toHaveURL(/\/bulk\/history\/[0-9a-f-]{36}$/);
    const rows = page.getByRole('table', { name: 'Result per recipient' }).locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.filter({ hasText: a })).toContainText('Linus Member');
  });
});
