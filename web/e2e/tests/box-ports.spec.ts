import { boxLogin, boxUrl, fault } from '../harness/box.ts';
import { customer, expect, expectAccessible, test } from '../harness/fixtures.ts';

test.describe('the box UI ports', () => {
  test('the dashboard and the live port table show the four simulated modems registered', async ({ page, stack }) => {
    await boxLogin(page, stack);
    await expect(page.getByTestId('ports-ready')).toHaveText('4 of 4');
    await expectAccessible(page, 'box dashboard');
    await page.getByRole('link', { name: 'Ports' }).click();
    const rows = page.locator('tr[data-port]');
    await expect(rows).toHaveCount(4);
    for (let i = 0; i < 4; i++) await expect(rows.nth(i).getByTestId('port-state')).toHaveText('Registered');
    await expectAccessible(page, 'box ports');
  });

  test('a modem unplugged in the simulator turns absent live, and recovers when plugged back', async ({ page, stack }) => {
    await boxLogin(page, stack);
    await page.getByRole('link', { name: 'Ports' }).click();
    const row = page.locator('tr[data-port="3"]');
    await expect(row.getByTestId('port-state')).toHaveText('Registered');
    try {
      await fault(stack, 3, { kind: 'unplug' });
      // No reload: the event stream brings it.
      await expect(row.getByTestId('port-state')).toHaveText('Absent', { timeout: 20_000 });
    } finally {
      await fault(stack, 3, { kind: 'plug' });
    }
    await expect(row.getByTestId('port-state')).toHaveText('Registered', { timeout: 45_000 });
  });

  test('a test SMS from a port is delivered and a USSD balance check shows the answer', async ({ page, stack }) => {
    const to = customer();
    await boxLogin(page, stack);
    await page.goto(boxUrl(stack, '/ports/1'));
    await expect(page.getByRole('heading', { name: 'Port 1', level: 1 })).toBeVisible();
    await expect(page.getByTestId('port-state')).toHaveText('Registered');
    await page.getByRole('textbox', { name: 'To', exact: true }).fill(to);
    await page.getByRole('button', { name: 'Send test SMS' }).click();
    await expect(page.getByTestId('test-sms-state')).toContainText('Delivered', { timeout: 45_000 });
    await page.getByRole('textbox', { name: 'Code', exact: true }).fill('*100#');
    await page.getByRole('button', { name: 'Run USSD' }).click();
    await expect(page.getByTestId('ussd-answer')).not.toBeEmpty({ timeout: 30_000 });
    await expectAccessible(page, 'box port detail');
  });

  test('the port table works on a 375 px phone, in French and dark', async ({ page, stack }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await boxLogin(page, stack);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('menuitemradio', { name: 'Français' }).click();
    await page.getByRole('button', { name: 'Mode sombre (Nuit)' }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await page.getByRole('button', { name: 'Afficher ou masquer le menu latéral' }).click();
    await page.getByRole('link', { name: 'Ports' }).click();
    await expect(page.getByRole('heading', { name: 'Ports', level: 1 })).toBeVisible();
    await expect(page.locator('tr[data-port]').first().getByTestId('port-state')).toHaveText('Enregistré');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'the page itself does not scroll sideways (the table scrolls in its frame)').toBeLessThanOrEqual(0);
    await expectAccessible(page, 'box ports, phone, French, dark');
    await page.evaluate(() => {
      localStorage.setItem('smsgate.locale', 'en');
      localStorage.setItem('smsgate.theme', 'system');
    });
  });
});
