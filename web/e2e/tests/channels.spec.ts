import { expect, expectAccessible, loginAs, test } from '../harness/fixtures.ts';
import { openFromMenu } from './support.ts';

test.describe('channels', () => {
  test('the platform admin declares a named channel on a port of a gateway that reports no ports, a bad country is named and declares nothing, and the list shows the new channel with its name', async ({ page, stack }) => {
    const stamp = Date.now();
    const gateway = `Declare ${stamp}`;
    const number = `+447700${String(stamp).slice(-6)}`;
    const name = `Support line ${stamp}`;
    await loginAs(page, stack.info, 'platform_admin');
    await openFromMenu(page, 'Gateways');
    await page.getByRole('button', { name: 'Register gateway' }).click();
    await page.getByRole('dialog', { name: 'Register a gateway' }).getByLabel('Name').fill(gateway);
    await page.getByRole('dialog', { name: 'Register a gateway' }).getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog', { name: `Gateway ${gateway} registered` }).getByRole('button', { name: 'Close', exact: true }).click();

    await openFromMenu(page, 'Channels');
    await page.getByRole('button', { name: 'Declare a channel' }).click();
    const form = page.getByRole('dialog', { name: 'Declare a channel on a gateway port' });
    await form.getByLabel('Gateway', { exact: true }).selectOption({ label: gateway });
    await form.getByLabel('Port', { exact: true }).fill('usb7');
    await form.getByLabel('SIM number', { exact: true }).fill(`${number.slice(0, 3)} ${number.slice(3, 7)} ${number.slice(7)}`);
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Country', { exact: true }).fill('ZZ');
    const dup = await page.evaluate(() => {
      const ids = Array.from(document.querySelectorAll('[id]'), (e) => e.id);
      return ids.filter((id, i) => ids.indexOf(id) !== i);
    });
    // The Port field turned from a select (the first gateway's ports) into a text field: the
    // fields after it keep their own inputs (the SIM number once took the Country's, maxlength 0).
    await expect(form.getByLabel('SIM number', { exact: true })).toHaveValue(`${number.slice(0, 3)} ${number.slice(3, 7)} ${number.slice(7)}`);
    await expect(form.getByLabel('Name', { exact: true })).toHaveValue(name);
    await form.getByRole('button', { name: 'Declare a channel' }).click();
    await expect(form.getByText(/not an ISO 3166 country code/)).toBeVisible();
    await expectAccessible(page, 'declare channel');
    await form.getByLabel('Country', { exact: true }).fill('gb');
    await form.getByRole('button', { name: 'Declare a channel' }).click();
    await expect(form).toHaveCount(0);
    const row = page.locator('tr', { hasText: number });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('usb7');
    await expect(row).toContainText(name);

    // Deleting retires it: it leaves the list, and its SIM can be declared again.
    await row.getByRole('button', { name: `Delete ${number}` }).click();
    const del = page.getByRole('dialog', { name: `Delete channel ${number}` });
    await expect(del).toContainText('stay in the history');
    await expectAccessible(page, 'delete channel');
    await del.getByRole('button', { name: 'Delete' }).click();
    await expect(del).toHaveCount(0);
    await expect(page.locator('tr', { hasText: number })).toHaveCount(0);
  });
});
