import { boxLogin, boxUrl } from '../harness/box.ts';
import { expect, expectAccessible, test } from '../harness/fixtures.ts';

test.describe('the box UI login', () => {
  test('a wrong password is refused, and after five the login is throttled even with the right one', async ({ page, stack }) => {
    await page.goto(boxUrl(stack));
    await expect(page.getByRole('heading', { name: 'Log in to this box' })).toBeVisible();
    await expectAccessible(page, 'box login');
    const { login, password } = stack.info.box_admin;
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Username').fill(login);
      await page.getByLabel('Password').fill(`wrong-${i}`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
      await page.getByRole('alert').evaluate((e) => e.remove());
    }
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText(/^Too many failed attempts\. Try again in \d+ s\.$/);
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toHaveCount(0);
    // The block is short at first; then the right password gets in.
    await page.waitForTimeout(1500);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  });

  test('the session cookie is HttpOnly and nothing secret is in the page', async ({ page, stack }) => {
    await boxLogin(page, stack);
    const cookies = await page.context().cookies(boxUrl(stack));
    const session = cookies.find((c) => c.name === 'smsgate_box_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(await page.evaluate(() => document.cookie)).not.toContain('smsgate_box_session');
    for (const path of ['/dashboard', '/ports/0', '/groups', '/cloud', '/diagnostics']) {
      await page.goto(boxUrl(stack, path));
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      // (Never network-idle: the live port stream stays open.)
      await expect(page.getByText('Loading…')).toHaveCount(0);
      const html = await page.content();
      expect(html, `API token on ${path}`).not.toContain(stack.info.gateway_api_token);
      expect(html, `password on ${path}`).not.toContain(stack.info.box_admin.password);
    }
  });

  test('the support bundle masks every secret', async ({ page, stack }) => {
    await boxLogin(page, stack);
    await page.getByRole('link', { name: 'Diagnostics' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the support bundle' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^smsgate-support-\d{8}-\d{6}\.json$/);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(path, 'utf8');
    const bundle = JSON.parse(text) as { config: { api: { token: string }; cloud: { password: string } }; ports: unknown[] };
    expect(bundle.ports).toHaveLength(4);
    expect(bundle.config.api.token).toBe('********');
    expect(bundle.config.cloud.password).toBe('********');
    expect(text).not.toContain(stack.info.gateway_api_token);
    expect(text).not.toContain(stack.info.box_admin.password);
    await expectAccessible(page, 'box diagnostics');
  });
});
