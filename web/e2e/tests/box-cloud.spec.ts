/**
 * The box's dashboard numbers and cloud screen against the real gateway, hub and broker the
 * harness starts: disk and memory on the dashboard; a pasted snippet with a bad line named on
 * that line; "Test connection" refused on a closed port and passing with a snippet the hub just
 * gave; "Apply" restarts the link as that gateway and it turns connected (then the demo's own
 * [cloud] section is applied back for the other specs); axe-clean at 375 px in French, dark.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { boxLogin, boxUrl, gateway } from '../harness/box.ts';
import { expect, expectAccessible, hub, test } from '../harness/fixtures.ts';
import { waitFor, type Stack } from '../harness/stack.ts';

interface Provisioned {
  gateway: { id: string };
  mqtt_username: string;
  mqtt_password: string;
  config_snippet: string;
}

interface CloudScreen {
  settings: { gateway_id: string | null };
  link: { state: string; gateway_id: string | null };
}

/** The demo gateway's own [cloud] section, as its gateway.toml has it. */
function demoCloudSection(stack: Stack): string {
  const lines = readFileSync(stack.info.gateway_config, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === '[cloud]');
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.trim().startsWith('['));
  return ['[cloud]', ...(end < 0 ? rest : rest.slice(0, end))].join('\n');
}

/** A TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 1;
      s.close(() => ok(port));
    });
  });
}

async function linkOf(stack: Stack): Promise<CloudScreen> {
  return gateway<CloudScreen>(stack, 'GET', '/api/v1/box/cloud');
}

test.describe('the box UI dashboard and cloud screen', () => {
  test('the dashboard shows the disk space, the memory and the hub link', async ({ page, stack }) => {
    await boxLogin(page, stack);
    await expect(page.getByTestId('disk-free')).toContainText(/ free of [\d.,\s]+ (GiB|MiB|KiB)/);
    await expect(page.getByTestId('memory')).toContainText(/[\d.,]+\s(MiB|KiB|GiB)/);
    await expect(page.getByTestId('cloud-backlog')).toContainText('Outbox backlog:');
    await expect(page.getByTestId('cloud-receipt')).toBeVisible();
    const d = await gateway<{ disk_free_bytes: number | null; disk_total_bytes: number | null; rss_bytes: number | null }>(stack, 'GET', '/api/v1/box/dashboard');
    expect(d.disk_free_bytes).toBeGreaterThan(0);
    expect(d.disk_total_bytes).toBeGreaterThanOrEqual(d.disk_free_bytes ?? 0);
    expect(d.rss_bytes).toBeGreaterThan(1024 * 1024);
  });

  test('a bad snippet is named on its line, and a closed port is refused in plain words', async ({ page, stack }) => {
    await boxLogin(page, stack);
    await page.getByRole('link', { name: 'Cloud' }).click();
    const before = (await linkOf(stack)).link;
    const snippet = page.getByLabel('Provisioning snippet');
    const good = demoCloudSection(stack);
    await snippet.fill(good.replace(/^url = .*$/m, 'url = "mqtt://127.0.0.1:1883"\nkeepalive_s = "thirty"'));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(page.locator('.field-error')).toContainText(/Line 3, keepalive_s: invalid type/);
    await expect(snippet).toHaveAttribute('aria-invalid', 'true');
    const port = await closedPort();
    await snippet.fill(good.replace(/^url = .*$/m, `url = "mqtt://127.0.0.1:${port}"`));
    await page.getByRole('button', { name: 'Test connection' }).click();
    const result = page.getByTestId('cloud-test');
    await expect(result).toContainText('nothing listens on that port (connection refused)');
    await expect(result).toContainText(`127.0.0.1:${port} refused the connection`);
    // The running link was not touched.
    const after = (await linkOf(stack)).link;
    expect([after.state, after.gateway_id]).toEqual([before.state, before.gateway_id]);
  });

  test('a snippet the hub gives tests, applies, and the link turns connected as that gateway', async ({ page, stack }) => {
    test.setTimeout(120_000);
    const admin = await hub(stack, 'platform_admin');
    const p = await admin.post<Provisioned>('/api/v1/gateways', { name: `e2e box cloud ${Date.now()}` });
    const demo = demoCloudSection(stack);
    const demoId = (await linkOf(stack)).settings.gateway_id;
    await boxLogin(page, stack);
    await page.goto(boxUrl(stack, '/cloud'));
    try {
      await page.getByLabel('Provisioning snippet').fill(p.config_snippet);
      await page.getByRole('button', { name: 'Test connection' }).click();
      await expect(page.getByTestId('cloud-test')).toContainText('The connection works.');
      await expect(page.getByTestId('cloud-test')).toContainText(`logged in as ${p.mqtt_username}`);
      await page.getByRole('button', { name: 'Apply and restart the link' }).click();
      await expect(page.getByText('Cloud settings applied; the link restarts.')).toBeVisible();
      await expect(page.getByTestId('cloud-gateway')).toHaveText(p.mqtt_username);
      await expect(page.getByTestId('cloud-state')).toHaveText('Connected', { timeout: 30_000 });
      await expect(page.getByLabel('Provisioning snippet')).toHaveValue('');
      expect(await page.content(), 'the password is never in the page').not.toContain(p.mqtt_password);
      await waitFor('the hub to see the new gateway online', 30_000, async () => (await admin.get<{ online: boolean }>(`/api/v1/gateways/${p.gateway.id}`)).online);
    } finally {
      // Back to the demo's own link for the other specs.
      await gateway(stack, 'PUT', '/api/v1/box/cloud', { snippet: demo });
      await waitFor('the demo link back', 30_000, async () => {
        const c = await linkOf(stack);
        return c.link.state === 'connected' && c.link.gateway_id === demoId;
      });
    }
  });

  test('the cloud screen works on a 375 px phone, in French and dark', async ({ page, stack }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await boxLogin(page, stack);
    await page.evaluate(() => {
      localStorage.setItem('smsgate.locale', 'fr');
      localStorage.setItem('smsgate.theme', 'dark');
    });
    try {
      await page.goto(boxUrl(stack, '/cloud'));
      await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
      await expect(page.getByRole('heading', { name: 'Relier à un hub' })).toBeVisible();
      await page.getByLabel('Section de configuration').fill('[cloud]\nurl = "http://hub"\n');
      await page.getByRole('button', { name: 'Tester la connexion' }).click();
      await expect(page.locator('.field-error')).toContainText('Ligne 2, url :');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, 'the page itself does not scroll sideways').toBeLessThanOrEqual(0);
      await expectAccessible(page, 'box cloud, phone, French, dark');
      await page.goto(boxUrl(stack, '/'));
      await expect(page.getByTestId('disk-free')).toContainText('libres sur');
      await expectAccessible(page, 'box dashboard, phone, French, dark');
      await page.goto(boxUrl(stack, '/diagnostics'));
      await expect(page.getByRole('heading', { name: 'Journaux récents' })).toBeVisible();
      await expect(page.getByTestId('recent-logs').locator('tbody tr').first()).toBeVisible();
      await expectAccessible(page, 'box diagnostics, phone, French, dark');
    } finally {
      await page.evaluate(() => {
        localStorage.setItem('smsgate.locale', 'en');
        localStorage.setItem('smsgate.theme', 'system');
      });
    }
  });
});
