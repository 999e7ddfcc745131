import { customer, expect, hub, inject, loginAs, test } from '../harness/fixtures.ts';
import { checkScreen, openFromMenu } from './support.ts';

test.describe('the opt-out list', () => {
  test('a manager adds a number by hand, sees it, and removes it', async ({ page, stack }) => {
    const number = customer();
    await loginAs(page, stack.info, 'manager');
    await openFromMenu(page, 'Opt-out');
    await page.getByRole('button', { name: 'Add a number' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to the opt-out list' });
    await dialog.getByLabel('Number', { exact: true }).fill('abc');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.locator('.field-invalid')).toBeVisible();
    await dialog.getByLabel('Number', { exact: true }).fill(number);
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog).toBeHidden();
    const row = page.locator('tr', { hasText: number });
    await expect(row).toContainText('Added by hand');
    await checkScreen(page, 'opt-outs', { en: 'Opt-out', fr: 'Désinscriptions' });
    await page.getByRole('searchbox', { name: 'Search a number' }).fill(number.slice(-6));
    await page.locator('tr', { hasText: number }).getByRole('button', { name: `Remove ${number} from the opt-out list` }).click();
    await page.getByTestId('confirm').click();
    await expect(page.locator('tr', { hasText: number })).toHaveCount(0);
    const admin = await hub(stack, 'tenant_admin');
    const left = await admin.get<{ items: Array<{ number: string }> }>(`/api/v1/opt-outs?q=${encodeURIComponent(number)}`);
    expect(left.items).toEqual([]);
  });

  test('a STOP from a handset and a colleague\'s addition appear on the open list without a reload', async ({ page, stack }) => {
    const texter = customer();
    const colleagues = customer();
    await loginAs(page, stack.info, 'manager');
    await openFromMenu(page, 'Opt-out');
    await expect(page.getByRole('button', { name: 'Add a number' })).toBeVisible();
    // The page stays as it is: no navigation, no reload from here on.
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    await inject(stack, { from: texter, to: stack.info.sim_numbers[0] ?? '', text: 'STOP' });
    await expect(page.locator('tr', { hasText: texter })).toBeVisible();
    const admin = await hub(stack, 'tenant_admin');
    await admin.post('/api/v1/opt-outs', { number: colleagues });
    await expect(page.locator('tr', { hasText: colleagues })).toContainText('Added by hand');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  test('an agent has neither the opt-out nor the bulk messages entry, and the opt-out page says no access', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'agent');
    const nav = page.getByRole('navigation', { name: 'Main menu' });
    await expect(nav.getByRole('link', { name: 'Messages' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Opt-out' })).toHaveCount(0);
    await expect(nav.getByRole('link', { name: 'Bulk messages' })).toHaveCount(0);
    await page.goto('/opt-outs');
    await expect(page.getByText('You do not have access to this feature.')).toBeVisible();
  });
});
