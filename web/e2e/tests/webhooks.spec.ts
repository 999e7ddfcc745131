/**
 * Webhooks (issue 15) end to end: a tenant admin creates an endpoint pointing at a receiver this
 * test runs on 127.0.0.1 (which checks every request's signature with the documented scheme),
 * copies the secret shown once, sends a test event and sees its result and its delivery log;
 * a handset's message then reaches the receiver too; the endpoint is deleted with confirmation.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { customer, expect, expectAccessible, hub, inject, loginAs, test } from '../harness/fixtures.ts';
import { checkScreen, openFromMenu } from './support.ts';

interface Received {
  type: string;
  verified: boolean;
  body: Record<string, unknown>;
}

/** docs/webhooks.md's receiver check: HMAC-SHA256 of `timestamp.body`, 5-minute window. */
function verify(secret: string, req: IncomingMessage, body: Buffer): boolean {
  const ts = String(req.headers['webhook-timestamp'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${ts}.`).update(body).digest();
  return String(req.headers['webhook-signature'] ?? '')
    .split(' ')
    .filter((s) => s.startsWith('v1='))
    .some((s) => {
      const got = Buffer.from(s.slice(3), 'hex');
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}

function receiver(): Promise<{ server: Server; url: string; received: Received[]; setSecret: (s: string) => void }> {
  const received: Received[] = [];
  let secret = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const verified = verify(secret, req, body);
      const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      received.push({ type: String(parsed.type), verified, body: parsed });
      res.statusCode = verified ? 204 : 401;
      res.end();
    });
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      ok({ server, url: `http://127.0.0.1:${port}/hooks/smsgate`, received, setSecret: (s) => (secret = s) });
    });
  });
}

test.describe('webhooks', () => {
  test('a tenant admin creates an endpoint, sends a test event, and sees it in the delivery log', async ({ page, stack }) => {
    const rx = await receiver();
    try {
      await loginAs(page, stack.info, 'tenant_admin');
      await openFromMenu(page, 'Webhooks');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const form = page.getByRole('dialog', { name: 'New webhook endpoint' });
      // The form checks its fields before sending.
      await form.getByLabel('URL', { exact: true }).fill('ftp://nowhere');
      await form.getByRole('checkbox', { name: /Message received/ }).uncheck();
      await form.getByRole('button', { name: 'Save' }).click();
      await expect(form.getByText('Enter an http:// or https:// URL.')).toBeVisible();
      await expect(form.getByText('Choose at least one event.')).toBeVisible();
      await form.getByLabel('URL', { exact: true }).fill(rx.url);
      await form.getByLabel('Description', { exact: true }).fill('Test receiver');
      await form.getByRole('checkbox', { name: /Message received/ }).check();
      await form.getByRole('checkbox', { name: /Conversation closed/ }).check();
      await expectAccessible(page, 'webhook form');
      await form.getByRole('button', { name: 'Save' }).click();
      // The secret, shown once.
      const shown = page.getByRole('dialog', { name: 'Signing secret' });
      await expect(shown.getByTestId('webhook-url')).toHaveText(rx.url);
      const secret = (await shown.getByTestId('webhook-secret').textContent()) ?? '';
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      rx.setSecret(secret);
      await shown.getByRole('button', { name: 'Close', exact: true }).click();
      await expect(shown).toBeHidden();
      const row = page.getByTestId('webhooks').locator('tr', { hasText: rx.url });
      await expect(row).toContainText('Enabled');
      // The list with its endpoint: axe in light and dark, English and French, and on a phone.
      await checkScreen(page, 'webhooks', { en: 'Webhooks', fr: 'Webhooks' });
      // The secret is never given again.
      const admin = await hub(stack, 'tenant_admin');
      expect(JSON.stringify(await admin.get('/api/v1/webhooks'))).not.toContain(secret);

      await row.getByRole('button', { name: `Send a test event to ${rx.url}` }).click();
      await expect(page.getByText(/^Test event delivered: HTTP 204 in \d+ ms\.$/)).toBeVisible();
      expect(rx.received.map((r) => [r.type, r.verified])).toEqual([['webhook.test', true]]);

      await row.getByRole('button', { name: `Delivery log of ${rx.url}` }).click();
      const log = page.getByRole('dialog', { name: 'Delivery log' });
      await expect(log.getByTestId('webhook-url')).toHaveText(rx.url);
      const test = log.getByTestId('delivery-log').locator('tr[data-event="webhook.test"]');
      await expect(test).toHaveAttribute('data-state', 'delivered');
      await expect(test).toContainText('Test event');
      await expect(test).toContainText('HTTP 204');
      await expect(test).toContainText('Delivered');
      await expectAccessible(page, 'webhook delivery log');

      // A handset writes: the event reaches the receiver, signed, and shows in the log.
      const from = customer();
      await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Hello webhooks' });
      await expect.poll(() => rx.received.filter((r) => r.type === 'message.received').length, { timeout: 20_000 }).toBe(1);
      const got = rx.received.find((r) => r.type === 'message.received');
      expect(got?.verified).toBe(true);
      expect((got?.body.data as { message: { from: string; text: string } }).message).toMatchObject({ from, text: 'Hello webhooks' });
      await log.getByRole('button', { name: 'Refresh' }).click();
      await expect(log.getByTestId('delivery-log').locator('tr[data-event="message.received"]')).toHaveAttribute('data-state', 'delivered');
      await log.getByRole('button', { name: 'Close', exact: true }).click();
      await expect(log).toBeHidden();

      // Edit: one event fewer, a new description.
      await row.getByRole('button', { name: `Edit ${rx.url}` }).click();
      const edit = page.getByRole('dialog', { name: 'Edit endpoint' });
      await expect(edit.getByRole('checkbox', { name: /Conversation closed/ })).toBeChecked();
      await edit.getByRole('checkbox', { name: /Conversation closed/ }).uncheck();
      await edit.getByLabel('Description', { exact: true }).fill('CRM (messages only)');
      await edit.getByRole('button', { name: 'Save' }).click();
      await expect(edit).toBeHidden();
      await expect(row).toContainText('CRM (messages only)');
      await expect(row).toContainText('Message received');
      // Rotate: a new secret, shown once; the test event is signed with it.
      await row.getByRole('button', { name: `Rotate the secret of ${rx.url}` }).click();
      await page.getByTestId('confirm').click();
      const rotated = page.getByRole('dialog', { name: 'Signing secret' });
      const second = (await rotated.getByTestId('webhook-secret').textContent()) ?? '';
      expect(second).toMatch(/^whsec_[0-9a-f]{64}$/);
      expect(second).not.toBe(secret);
      await rotated.getByRole('button', { name: 'Close', exact: true }).click();
      await row.getByRole('button', { name: `Send a test event to ${rx.url}` }).click();
      await expect(page.getByText(/^Test event not delivered: answered HTTP 401\.$/)).toBeVisible();
      rx.setSecret(second);
      await row.getByRole('button', { name: `Send a test event to ${rx.url}` }).click();
      await expect(page.getByText(/^Test event delivered: HTTP 204 in \d+ ms\.$/).first()).toBeVisible();
      await expect.poll(() => rx.received.filter((r) => r.type === 'webhook.test').map((r) => r.verified)).toEqual([true, false, true]);

      // Disable, then delete with confirmation.
      await row.getByRole('button', { name: `Disable ${rx.url}` }).click();
      await expect(row).toContainText('Disabled');
      await row.getByRole('button', { name: `Delete ${rx.url}` }).click();
      await page.getByTestId('confirm').click();
      await expect(page.getByTestId('webhooks').locator('tr', { hasText: rx.url })).toHaveCount(0);
      expect(await admin.get('/api/v1/webhooks')).toEqual([]);
    } finally {
      rx.server.close();
    }
  });

  test('an agent has no webhooks entry and the page says no access', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'agent');
    const nav = page.getByRole('navigation', { name: 'Main menu' });
    await expect(nav.getByRole('link', { name: 'Messages' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Webhooks' })).toHaveCount(0);
    await page.goto('/webhooks');
    await expect(page.getByText('You do not have access to this feature.')).toBeVisible();
  });
});
