/**
 * Screenshots of the webhooks screen (issue 15, docs/screenshots/): the endpoint list, the
 * create dialog with its event checkboxes and the delivery log, in English/light, French/dark
 * and on a phone. `SMSGATE_SCREENSHOTS=1`, as the other screenshot specs (skipped otherwise).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { apiLogin, REPO } from '../harness/stack.ts';
import { expect, hub, loginAs, test } from '../harness/fixtures.ts';

const out = (name: string) => join(REPO, 'docs/screenshots', `${name}.png`);

test.skip(process.env.SMSGATE_SCREENSHOTS !== '1', 'only with SMSGATE_SCREENSHOTS=1');

async function look(page: Page, locale: 'en' | 'fr', theme: 'light' | 'dark'): Promise<void> {
  await page.addInitScript(([l, t]) => {
    localStorage.setItem('smsgate.locale', l ?? 'en');
    localStorage.setItem('smsgate.theme', t ?? 'light');
  }, [locale, theme]);
}

for (const [locale, theme, width, height] of [
  ['en', 'light', 1280, 760],
  ['fr', 'dark', 1280, 760],
  ['en', 'dark', 390, 844],
] as const) {
  const size = width < 600 ? 'phone' : 'desktop';
  test(`the webhooks screen, ${locale}, ${theme}, ${size}`, async ({ page, stack }) => {
    // A receiver answering 204 (the test event's), and one endpoint pointing at it.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/crm`;
    const admin = await hub(stack, 'tenant_admin');
    const made = await admin.post<{ endpoint: { id: string } }>('/api/v1/webhooks', {
      url,
      description: 'CRM',
      events: ['message.received', 'conversation.closed', 'campaign.finished'],
    });
    try {
      await admin.post(`/api/v1/webhooks/${made.endpoint.id}/test`);
      await look(page, locale, theme);
      await page.setViewportSize({ width, height });
      await loginAs(page, stack.info, 'tenant_admin');
      await page.goto('/webhooks');
      const row = page.getByTestId('webhooks').locator('tr', { hasText: url });
      await expect(row).toBeVisible();
      await page.screenshot({ path: out(`webhooks-${locale}-${theme}-${size}`) });
      await page.getByRole('button', { name: /^(Add endpoint|Ajouter un point de terminaison)$/ }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await page.screenshot({ path: out(`webhooks-form-${locale}-${theme}-${size}`) });
      await page.keyboard.press('Escape');
      await row.getByRole('button', { name: /^(Delivery log of|Journal de livraison de) / }).click();
      await expect(page.getByTestId('delivery-log').locator('tr[data-state="delivered"]')).toBeVisible();
      await page.screenshot({ path: out(`webhooks-log-${locale}-${theme}-${size}`) });
    } finally {
      const token = await apiLogin(stack.info.hub_api, stack.info.tenant_admin);
      await fetch(`${stack.info.hub_api}/api/v1/webhooks/${made.endpoint.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      server.close();
    }
  });
}
