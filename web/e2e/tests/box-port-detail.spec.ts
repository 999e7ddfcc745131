import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boxLogin, boxUrl, fault, gateway } from '../harness/box.ts';
import { expect, expectAccessible, test } from '../harness/fixtures.ts';
import { waitFor } from '../harness/stack.ts';

interface Settings {
  ports: Array<{ id: number; smsc: string | null; pin_set: boolean; overridden: string[] }>;
}

const PORT = 2;
const PIN = '2468';
const SMSC = '+33609001390';

test.describe('the box UI one-port screen', () => {
  test('a setting changed on the form is applied (seen in the live AT log, the PIN masked) and persisted', async ({ page, stack }) => {
    test.setTimeout(120_000);
    await boxLogin(page, stack);
    await page.goto(boxUrl(stack, `/ports/${PORT}`));
    await expect(page.getByTestId('port-state')).toHaveText('Registered');
    const log = page.getByRole('region', { name: `AT log of port ${PORT}` });
    await expect(log.locator('tr[data-seq]').first()).toBeVisible();
    // The PIN field is write-only: empty although the page knows a PIN may be set.
    const pin = page.getByLabel('New SIM PIN');
    await expect(pin).toHaveAttribute('type', 'password');
    await expect(pin).toHaveValue('');
    try {
      // The SIM asks for a PIN from now on: the restarted port must enter the one typed here.
      await fault(stack, PORT, { kind: 'pin-locked', pin: PIN });
      // A refused value is named on its field, and nothing changes.
      await page.getByLabel('Speed (baud)').fill('12345');
      await page.getByRole('button', { name: `Save and restart port ${PORT}` }).click();
      await expect(page.locator('.field-error').filter({ hasText: /12345 is not a standard serial speed/ })).toBeVisible();
      await page.getByLabel('Speed (baud)').fill('115200');
      await pin.fill(PIN);
      await page.getByLabel('SMS centre').fill(SMSC);
      await page.getByRole('button', { name: `Save and restart port ${PORT}` }).click();
      await expect(page.getByText(`Port ${PORT}: settings saved; the port restarts with them.`)).toBeVisible();
      // Live, without reload: the restarted port enters the PIN (masked) and sets the SMS centre.
      await expect(log.locator('td', { hasText: /^AT\+CPIN=\*{8}$/ }).first()).toBeVisible({ timeout: 45_000 });
      await expect(log.locator('td', { hasText: `AT+CSCA="${SMSC}"` }).first()).toBeVisible({ timeout: 45_000 });
      await expect(page.getByTestId('port-state')).toHaveText('Registered', { timeout: 45_000 });
      expect(await page.content(), 'the PIN never reaches the page').not.toContain(PIN);
      await expect(pin).toHaveValue('');
      await expectAccessible(page, 'box port detail with the AT log');
      // Persisted: overrides.json holds it, and the form shows it after a reload.
      const file = readFileSync(join(stack.dir, 'demo', 'overrides.json'), 'utf8');
      expect(file).toContain(SMSC);
      await page.reload();
      await expect(page.getByLabel('SMS centre')).toHaveValue(SMSC);
      await expect(page.getByTestId('overridden')).toContainText('smsc');
      const s = await gateway<Settings>(stack, 'GET', '/api/v1/box/ports/settings');
      expect(s.ports.find((p) => p.id === PORT)).toMatchObject({ smsc: SMSC, pin_set: true });
    } finally {
      // Back to the demo's settings for the other tests (the SIM stays unlocked until its next power-up).
      await gateway(stack, 'PATCH', `/api/v1/box/ports/${PORT}/settings`, { smsc: null });
      await waitFor('the port registered again', 45_000, async () => {
        const r = await gateway<{ ports: Array<{ port: number; state: string }> }>(stack, 'GET', '/api/v1/ports');
        return r.ports.find((p) => p.port === PORT)?.state === 'registered';
      });
    }
  });

  test('a power cycle asks for confirmation, really powers the simulated modem off and on, and the port comes back', async ({ page, stack }) => {
    test.setTimeout(120_000);
    await boxLogin(page, stack);
    await page.goto(boxUrl(stack, '/ports/1'));
    await expect(page.getByTestId('port-state')).toHaveText('Registered');
    const cycles = async () => (await gateway<{ ports: Array<{ port: number; counters: { power_cycles: number } }> }>(stack, 'GET', '/api/v1/ports')).ports.find((p) => p.port === 1)?.counters.power_cycles ?? -1;
    const before = await cycles();
    await page.getByRole('button', { name: 'Power-cycle the modem' }).click();
    const dialog = page.getByRole('dialog', { name: 'Power-cycle port 1?' });
    await expect(dialog).toBeVisible();
    await expectAccessible(page, 'box power-cycle confirmation');
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await page.getByRole('button', { name: 'Power-cycle the modem' }).click();
    await dialog.getByRole('button', { name: 'Power-cycle the modem' }).click();
    // The simulator's modem 1 really loses its power (its pty goes) …
    await waitFor('simulated modem 1 powered off', 20_000, async () => {
      const r = await fetch(`${stack.info.sim_control}/api/modems`);
      const modems = (await r.json()) as Array<{ powered: boolean }>;
      return modems[1]?.powered === false;
    });
    // … and gets it back; the port opens it again.
    await expect(page.getByTestId('power-done')).toHaveText('Port 1 was power-cycled; it is opened again.', { timeout: 60_000 });
    await expect(page.getByTestId('port-state')).toHaveText('Registered', { timeout: 60_000 });
    expect(await cycles()).toBe(before + 1);
    const r = await fetch(`${stack.info.sim_control}/api/modems`);
    expect(((await r.json()) as Array<{ powered: boolean }>)[1]?.powered).toBe(true);
  });

  test('the one-port screen works on a 375 px phone, in French and dark', async ({ page, stack }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await boxLogin(page, stack);
    await page.evaluate(() => {
      localStorage.setItem('smsgate.locale', 'fr');
      localStorage.setItem('smsgate.theme', 'dark');
    });
    try {
      await page.goto(boxUrl(stack, '/ports/0'));
      await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
      await expect(page.getByRole('heading', { name: 'Journal AT' })).toBeVisible();
      await expect(page.getByRole('region', { name: 'Journal AT du port 0' }).locator('tr[data-seq]').first()).toBeVisible();
      await expect(page.getByLabel('Nouveau PIN de la SIM')).toBeVisible();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, 'the page itself does not scroll sideways').toBeLessThanOrEqual(0);
      await expectAccessible(page, 'box port detail, phone, French, dark');
    } finally {
      await page.evaluate(() => {
        localStorage.setItem('smsgate.locale', 'en');
        localStorage.setItem('smsgate.theme', 'system');
      });
    }
  });
});
