import { boxLogin, boxUrl, gateway } from '../harness/box.ts';
import { customer, expect, expectAccessible, test } from '../harness/fixtures.ts';

test.describe('the box UI spool', () => {
  test('a dialer CSV with a bad line is refused naming the line, and a good one is queued and found', async ({ page, stack }) => {
    await boxLogin(page, stack);
    await page.getByRole('link', { name: 'Spool' }).click();
    const bad = `campaign;destiny;message;priority\nbox-e2e;${customer()};hello;1\nbox-e2e;not-a-number;hello;1\n`;
    await page.getByLabel('CSV file').setInputFiles({ name: 'dialer.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect(page.getByText('Nothing was imported: the file has bad lines.')).toBeVisible();
    await expect(page.getByTestId('upload-lines')).toContainText('Line 3:');
    await expectAccessible(page, 'box spool with a refused file');

    const to = customer();
    const good = `box-e2e-ok;${to};hello from the box;1\n`;
    await page.getByLabel('CSV file').setInputFiles({ name: 'dialer.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect(page.getByText(/^1 messages queued/)).toBeVisible();
    await page.getByLabel('State').selectOption({ label: 'Every state' });
    await page.getByLabel('Search (number, text, campaign, #id)').fill(to.slice(-6));
    await expect(page.locator('tr[data-message]')).toHaveCount(1);
    await expect(page.locator('tr[data-message]')).toContainText('hello from the box');
  });

  test('a queued message is cancelled after a confirmation and never sent', async ({ page, stack }) => {
    // Closed sending hours keep it queued (the demo group's zone is UTC).
    const h = (n: number) => String((new Date().getUTCHours() + n) % 24).padStart(2, '0');
    await gateway(stack, 'PATCH', '/api/v1/box/groups/demo', { sending_hours: `${h(2)}:00-${h(3)}:00` });
    try {
      const r = await gateway<{ id: number }>(stack, 'POST', '/api/v1/messages', { to: customer(), text: 'to cancel', group: 'demo' });
      await boxLogin(page, stack);
      await page.goto(boxUrl(stack, '/spool'));
      await page.getByLabel('Search (number, text, campaign, #id)').fill(`#${r.id}`);
      const row = page.locator(`tr[data-message="${r.id}"]`);
      await expect(row).toContainText('Queued');
      await row.getByRole('button', { name: 'Cancel' }).click();
      await expect(page.getByRole('dialog')).toContainText('never sent');
      await expectAccessible(page, 'box spool cancel confirmation');
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await expect(page.getByText(`Message #${r.id} is cancelled.`)).toBeVisible();
      const m = await gateway<{ state: string }>(stack, 'GET', `/api/v1/messages/${r.id}`);
      expect(m.state).toBe('cancelled');
    } finally {
      await gateway(stack, 'PATCH', '/api/v1/box/groups/demo', { sending_hours: null });
    }
  });
});
