import { expect, expectAccessible, loginAs, test } from '../harness/fixtures.ts';
import { checkScreen, openFromMenu } from './support.ts';

test.describe('gateways and API keys', () => {
  test('the platform admin sees the demo gateway online with its ports, registers one, copies its snippet and deletes it', async ({ page, stack, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.info.hub_api });
    await loginAs(page, stack.info, 'platform_admin');
    await openFromMenu(page, 'Gateways');
    const demo = page.locator('tr', { has: page.locator('[data-online="true"]') }).first();
    await expect(demo).toBeVisible();
    await demo.getByRole('button', { name: / ports of / }).click();
    const ports = page.getByRole('dialog', { name: /^Ports of / });
    await expect(ports.locator('tbody tr')).toHaveCount(4);
    await expect(ports).toContainText('Registered');
    await expectAccessible(page, 'gateway ports');
    await ports.getByRole('button', { name: 'Close dialog' }).click();
    await checkScreen(page, 'gateways', { en: 'Gateways', fr: 'Passerelles' });

    const name = `Edge ${Date.now()}`;
    await page.getByRole('button', { name: 'Register gateway' }).click();
    await page.getByRole('dialog', { name: 'Register a gateway' }).getByLabel('Name').fill(name);
    await page.getByRole('dialog', { name: 'Register a gateway' }).getByRole('button', { name: 'Save' }).click();
    const made = page.getByRole('dialog', { name: `Gateway ${name} registered` });
    await expect(made.getByTestId('gateway-snippet')).toContainText('[cloud]');
    const password = await made.getByTestId('gateway-password').innerText();
    await expect(made.getByTestId('gateway-snippet')).toContainText(password);
    await made.getByRole('button', { name: 'Copy the snippet' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('[cloud]');
    await made.getByRole('button', { name: 'Close', exact: true }).click();
    const row = page.locator('tr', { hasText: name });
    await expect(row.locator('[data-online]')).toHaveText('Offline');
    await row.getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByTestId('confirm').click();
    await expect(page.locator('tr', { hasText: name })).toHaveCount(0);
  });

  test('a tenant admin creates an API key shown once, it works, and once revoked it is refused', async ({ page, stack }) => {
    const name = `Shop ${Date.now()}`;
    await loginAs(page, stack.info, 'tenant_admin');
    await openFromMenu(page, 'API keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('dialog', { name: 'New API key' }).getByLabel('Name').fill(name);
    await page.getByRole('dialog', { name: 'New API key' }).getByRole('button', { name: 'Save' }).click();
    const made = page.getByRole('dialog', { name: `Key ${name} created` });
    const secret = await made.getByTestId('api-key-secret').innerText();
    expect(secret).toMatch(/^sgk_/);
    await expectAccessible(page, 'new key');
    await made.getByRole('button', { name: 'Close', exact: true }).click();
    const me = () => fetch(`${stack.info.hub_api}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } }).then((r) => r.status);
    expect(await me()).toBe(200);
    const row = page.locator('tr', { hasText: name });
    await expect(row.locator('[data-state]')).toHaveText('Active');
    await expect(page.getByText(secret)).toHaveCount(0);
    await checkScreen(page, 'api keys', { en: 'API keys', fr: "Clés d'API" });
    await page.locator('tr', { hasText: name }).getByRole('button', { name: `Revoke ${name}` }).click();
    await page.getByTestId('confirm').click();
    await expect(page.locator('tr', { hasText: name }).locator('[data-state]')).toHaveAttribute('data-state', 'revoked');
    expect(await me()).toBe(401);
  });
});
