import { expect, expectAccessible, hub, loginAs, test } from '../harness/fixtures.ts';
import { checkScreen, openFromMenu } from './support.ts';

interface Channel {
  id: string;
  sim_number: string;
  holder_id: string;
}

test.describe('a reseller', () => {
  test('creates a tenant, enters it, switches tenants and distributes a channel to it (with force) and back', async ({ page, stack }) => {
    test.setTimeout(120_000);
    const name = `Second Tenant ${Date.now()}`;
    const sim = stack.info.sim_numbers[3] ?? '';
    const reseller = await hub(stack, 'reseller_admin');
    const before = (await reseller.get<{ items: Channel[] }>('/api/v1/channels?limit=500')).items.find((c) => c.sim_number === sim);
    expect(before).toBeDefined();
    const demoTenant = before?.holder_id ?? '';

    await loginAs(page, stack.info, 'reseller_admin');
    await openFromMenu(page, 'Tenants');
    await checkScreen(page, 'tenants', { en: 'Tenants and resellers', fr: 'Sociétés et revendeurs' });
    await page.getByRole('button', { name: 'Add tenant' }).click();
    const dialog = page.getByRole('dialog', { name: 'New tenant' });
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Country').fill('GB');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.locator('tr', { hasText: name })).toContainText('GB');

    // Edit it: the dialog holds what was saved, and the new country shows in the list.
    await page.locator('tr', { hasText: name }).getByRole('button', { name: `Edit ${name}` }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${name}` });
    await expect(edit.getByLabel('Country')).toHaveValue('GB');
    await edit.getByLabel('Country').fill('ie');
    await expectAccessible(page, 'edit tenant dialog');
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect(edit).toBeHidden();
    await expect(page.locator('tr', { hasText: name })).toContainText('IE');
    expect((await reseller.get<{ items: Array<{ name: string; country: string | null }> }>('/api/v1/tenants?limit=500')).items.find((o) => o.name === name)?.country).toBe('IE');

    // Enter it: the header's tenant context follows.
    await page.locator('tr', { hasText: name }).getByRole('button', { name: `Enter ${name}` }).click();
    await expect(page).toHaveURL(/\/inbox$/);
    const picker = page.getByLabel('Tenant');
    await expect(picker.locator('option:checked')).toHaveText(name);
    // Switch to the demo tenant, then back to all tenants.
    await picker.selectOption({ label: 'Demo Tenant' });
    await expect(picker.locator('option:checked')).toHaveText('Demo Tenant');
    await picker.selectOption({ label: 'All tenants' });

    // Distribute the demo tenant's 4th channel to the new tenant.
    await openFromMenu(page, 'Channels');
    await page.getByRole('link', { name: 'Distributed channels' }).click();
    const row = page.locator('tr', { hasText: sim });
    await expect(row).toContainText('Demo Tenant');
    await row.getByRole('button', { name: `Distribute ${sim}` }).click();
    const dist = page.getByRole('dialog', { name: `Distribute ${sim}` });
    await dist.getByLabel('Give it to').selectOption({ label: name });
    await dist.getByLabel('Force: end its live conversations if any').check();
    await expectAccessible(page, 'distribute dialog');
    await dist.getByRole('button', { name: 'Distribute' }).click();
    await expect(dist).toBeHidden();
    await expect(page.locator('tr', { hasText: sim })).toContainText(name);
    await checkScreen(page, 'distributed channels', { en: 'Channels', fr: 'Canaux' });
    const moved = (await reseller.get<{ items: Channel[] }>('/api/v1/channels?limit=500')).items.find((c) => c.sim_number === sim);
    expect(moved?.holder_id).not.toBe(demoTenant);

    // Its destination, then back to the demo tenant (so the other tests keep their 4 channels).
    await page.locator('tr', { hasText: sim }).getByRole('button', { name: `Destination of ${sim}` }).click();
    const dest = page.getByRole('dialog', { name: `Destination of ${sim}` });
    await expect(dest.getByLabel('The tenant inbox')).toBeChecked();
    await dest.getByRole('button', { name: 'Close dialog' }).click();
    await page.locator('tr', { hasText: sim }).getByRole('button', { name: `Distribute ${sim}` }).click();
    await dist.getByLabel('Give it to').selectOption({ label: 'Demo Tenant' });
    await dist.getByLabel('Force: end its live conversations if any').check();
    await dist.getByRole('button', { name: 'Distribute' }).click();
    await expect(page.locator('tr', { hasText: sim })).toContainText('Demo Tenant');

    // Delete the new tenant.
    await openFromMenu(page, 'Tenants');
    await page.locator('tr', { hasText: name }).getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByTestId('confirm').click();
    await expect(page.locator('tr', { hasText: name })).toHaveCount(0);
  });
});
