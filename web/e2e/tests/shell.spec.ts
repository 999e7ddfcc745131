import { expect, expectAccessible, loginAs, test, type Who } from '../harness/fixtures.ts';

const ROLES: Array<[Who, string, string[], string[]]> = [
  // who, role label, menu entries it has, menu entries it must not have
  ['agent', 'Agent', ['Messages', 'Interactions', 'Contacts'], ['Bulk messages', 'Opt-out', 'Users', 'Queues', 'Channels', 'API keys', 'Webhooks']],
  ['manager', 'Manager', ['Messages', 'Interactions', 'Contacts', 'Opt-out', 'Users', 'Queues'], ['Bulk messages', 'Channels', 'API keys', 'Webhooks', 'Tenants']],
  ['tenant_admin', 'Tenant admin', ['Messages', 'Interactions', 'Contacts', 'Bulk messages', 'Opt-out', 'Users', 'Queues', 'Channels', 'API keys', 'Webhooks'], ['Tenants', 'Gateways']],
  ['reseller_admin', 'Reseller admin', ['Messages', 'Interactions', 'Channels', 'Tenants'], ['Gateways']],
  ['platform_admin', 'Platform admin', ['Messages', 'Interactions', 'Channels', 'Tenants', 'Gateways'], []],
];

test.describe('the portal shell', () => {
  test('the login screen is accessible and refuses a wrong password', async ({ page, stack }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Log in to smsgate' })).toBeVisible();
    await expectAccessible(page, 'login');
    await page.getByLabel('Username').fill(stack.info.agent.login);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  });

  for (const [who, role, has, hasNot] of ROLES) {
    test(`${who} logs in and sees their name, role and menu`, async ({ page, stack }) => {
      await loginAs(page, stack.info, who);
      await expect(page.locator('.who-role')).toHaveText(role);
      const nav = page.getByRole('navigation', { name: 'Main menu' });
      for (const entry of has) await expect(nav.getByRole('link', { name: entry, exact: true })).toBeVisible();
      for (const entry of hasNot) await expect(nav.getByRole('link', { name: entry, exact: true })).toHaveCount(0);
      await expect(page).toHaveURL(/\/inbox$/);
      await expectAccessible(page, `inbox as ${who}`);
    });
  }

  test('an agent has no "New message" button; a tenant admin has one', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'agent');
    await expect(page.getByRole('heading', { name: 'Messages', level: 1 })).toBeVisible();
    await expect(page.getByRole('button', { name: 'New message' })).toHaveCount(0);
    await page.context().clearCookies();
    await loginAs(page, stack.info, 'tenant_admin');
    await expect(page.getByRole('button', { name: 'New message' })).toBeVisible();
  });

  test('a reseller sees the tenant drop-down with its whole subtree', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'reseller_admin');
    const picker = page.getByLabel('Tenant');
    await expect(picker).toBeVisible();
    await expect(picker.locator('option')).toHaveText(['All tenants', 'Demo Tenant']);
    await picker.selectOption({ label: 'Demo Tenant' });
    await page.reload();
    await expect(page.getByLabel('Tenant')).toHaveValue(/[0-9a-f-]{36}/);
  });

  test('French and dark mode render, switched without reload, and stay accessible', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'tenant_admin');
    const marker = await page.evaluate(() => ((window as unknown as { __noReload: number }).__noReload = Date.now()));
    await page.getByRole('button', { name: /^Account menu for/ }).click();
    await page.getByRole('menuitemradio', { name: 'Français' }).click();
    await expect(page.getByRole('heading', { name: 'Messages', level: 1 })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Nouveau message' })).toBeVisible();
    await expect(page.locator('.who-role')).toHaveText('Admin Société');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await page.getByRole('button', { name: /^Menu du compte de/ }).click();
    await page.getByRole('menuitemradio', { name: 'Mode sombre (Nuit)' }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    expect(await page.evaluate(() => (window as unknown as { __noReload: number }).__noReload)).toBe(marker);
    await expectAccessible(page, 'inbox in French, dark');
    await page.screenshot({ path: 'test-results/inbox-fr-dark.png' });
    // Back to English and light for the next tests (the choice is remembered per browser).
    await page.getByRole('button', { name: /^Menu du compte de/ }).click();
    await page.getByRole('menuitemradio', { name: 'English' }).click();
    await page.getByRole('button', { name: /^Account menu for/ }).click();
    await page.getByRole('menuitemradio', { name: 'Light mode' }).click();
  });

  test('logout disconnects everywhere and the API refuses the old session', async ({ page, stack, browser }) => {
    await loginAs(page, stack.info, 'tenant_admin');
    const other = await browser.newContext({ baseURL: stack.info.hub_api });
    const second = await other.newPage();
    await loginAs(second, stack.info, 'tenant_admin');
    await page.getByRole('button', { name: /^Account menu for/ }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await expect(page.getByText('You are disconnected everywhere your account was used.')).toBeVisible();
    // The other browser's session is gone too.
    const status = await second.evaluate(async () => (await fetch('/api/v1/me')).status);
    expect(status).toBe(401);
    await other.close();
  });

  test('an unknown address shows "Page not found" inside the shell', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'agent');
    await page.goto('/nowhere');
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  });

  test('the portal is served with a strict CSP, hashed assets immutable, unknown API paths JSON', async ({ request }) => {
    const index = await request.get('/');
    expect(index.headers()['cache-control']).toBe('no-cache');
    const csp = index.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    const asset = /\/assets\/[^"]+\.js/.exec(html)?.[0];
    expect(asset).toBeTruthy();
    const js = await request.get(asset ?? '');
    expect(js.headers()['cache-control']).toContain('immutable');
    const route = await request.get('/inbox/some-client-route');
    expect(route.headers()['content-type']).toContain('text/html');
    const api = await request.get('/api/v1/no-such-endpoint');
    expect(api.status()).toBe(404);
    expect((await api.json()).error).toBeTruthy();
  });

  test('the PWA manifest and service worker are valid', async ({ page, request }) => {
    const manifest = await (await request.get('/manifest.webmanifest')).json();
    expect(manifest).toMatchObject({ start_url: '/', display: 'standalone' });
    const sizes = (manifest.icons as Array<{ sizes: string; src: string }>).map((i) => i.sizes);
    expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
    for (const icon of manifest.icons as Array<{ src: string; type: string }>) {
      const r = await request.get(icon.src);
      expect(r.ok(), icon.src).toBe(true);
      expect(r.headers()['content-type']).toBe(icon.type);
    }
    await page.goto('/');
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state))
      .toBe('activated');
    // The shell is cached: offline, the app still opens.
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const c = await caches.open(keys.find((k) => k.startsWith('smsgate-portal-')) ?? '');
      return (await c.keys()).map((r) => new URL(r.url).pathname);
    });
    expect(cached).toEqual(expect.arrayContaining(['/', '/manifest.webmanifest']));
    expect(cached.some((p) => p.startsWith('/assets/'))).toBe(true);
    await page.context().setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Log in to smsgate' }).or(page.getByText('The portal could not reach the hub.'))).toBeVisible();
    await page.context().setOffline(false);
  });

  test('the inbox is usable 375 px wide', async ({ page, stack }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await loginAs(page, stack.info, 'agent');
    await expect(page.getByRole('heading', { name: 'Messages', level: 1 })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // The side menu opens over the content and closes again.
    await page.getByRole('button', { name: 'Show or hide the side menu' }).click();
    await expect(page.getByRole('navigation', { name: 'Main menu' })).toBeVisible();
    await expectAccessible(page, 'inbox on a phone with the menu open');
  });
});
