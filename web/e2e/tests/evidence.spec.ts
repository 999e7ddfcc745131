import { boxLogin, boxUrl, fault } from '../harness/box.ts';
import { customer, expect, expectAccessible, handset, inject, loginAs, test } from '../harness/fixtures.ts';

// Issue 17: a reply whose modem answer was lost is `unknown` (it may have gone out, it is never
// resent), the agent sees what the gateway knows, and the network's late delivery report settles
// it by itself, with that evidence still in view. The simulated modem really delivers the SMS and
// drops its `+CMGS` answer; the demo gateway gives up on the answer after 15 s.
test.describe('an outcome the modem never confirmed', () => {
  test('the reply turns unknown with what the gateway recorded, and the late report settles it as delivered', async ({ page, stack }) => {
    test.setTimeout(150_000);
    const modem = 1;
    const sim = stack.info.sim_numbers[modem] ?? '';
    const from = customer();
    await loginAs(page, stack.info, 'agent');
    await expect(page.locator('[data-live="open"]')).toBeAttached();
    await inject(stack, { from, to: sim, text: 'Has my parcel left?' });
    const row = page.locator('.conv-row', { hasText: from });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await row.click();
    await expect(page.getByRole('heading', { name: from, level: 2 })).toBeVisible();

    // The report comes 30 s after the send: well after the gateway gave up on the answer.
    await fault(stack, modem, { kind: 'answer-lost', sends: 1, report_delay_ms: 30_000 });
    try {
      await page.getByLabel('Reply').fill('It left this morning.');
      await page.getByRole('button', { name: 'Send' }).click();
      const out = page.locator('.bubble-out', { hasText: 'It left this morning.' });
      await expect(out).toBeVisible();
      await expect(out).toHaveAttribute('data-state', 'unknown', { timeout: 45_000 });
      // It did reach the handset: exactly the case an operator must not resend blindly.
      expect((await handset(stack, from)).map((m) => m.text)).toContain('It left this morning.');

      await out.getByRole('button', { name: 'What do we know?' }).click();
      const dialog = page.getByRole('dialog', { name: 'Message details' });
      const unknown = dialog.getByTestId('unknown-evidence');
      await expect(unknown).toContainText('It may have reached the customer');
      await expect(unknown).toContainText('Before sending it again, ask the customer');
      await expect(unknown.locator('.evidence-facts li[data-fact="attempt"]')).toHaveText(`Attempt 1 on port ${modem}.`);
      await expect(unknown.locator('code')).toContainText(`port ${modem}, attempt 1`);
      await expectAccessible(page, 'the details of an unknown outcome');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(dialog).toBeHidden();

      // The network's report arrives and settles it, live, without a reload.
      await expect(out).toHaveAttribute('data-state', 'delivered', { timeout: 60_000 });
      await out.getByRole('button', { name: 'Message details' }).click();
      const settled = page.getByRole('dialog', { name: 'Message details' }).getByTestId('settled-evidence');
      await expect(settled).toContainText('How the outcome is known');
      await expect(settled.locator('li[data-fact="settled"]')).toContainText(`A delivery report (delivered) on port ${modem}`);
      await expectAccessible(page, 'the details of an outcome settled by evidence');

      // The technician at the box sees the same message with the report that settled it.
      await boxLogin(page, stack);
      await page.goto(boxUrl(stack, '/spool'));
      await page.getByLabel('State').selectOption({ label: 'Every state' });
      await page.getByLabel('Search (number, text, campaign, #id)').fill(from);
      const row = page.locator('tr[data-message]', { hasText: 'It left this morning.' });
      await expect(row).toHaveCount(1);
      await expect(row).toContainText('Delivered');
      await row.getByRole('button', { name: 'Details' }).click();
      const box = page.getByRole('dialog').getByTestId('spool-evidence');
      await expect(box).toContainText(`on port ${modem}`);
      await expect(box).toContainText('the only message that could fit');
      await expectAccessible(page, 'the box spool details of a settled message');
    } finally {
      await fault(stack, modem, { kind: 'answer-lost', sends: 0 });
    }
  });
});
