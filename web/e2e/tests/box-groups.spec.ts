import { boxLogin, boxUrl, gateway } from '../harness/box.ts';
import { customer, expect, expectAccessible, test } from '../harness/fixtures.ts';
import { restartGateway, waitFor, type Stack } from '../harness/stack.ts';

interface Msg {
  id: number;
  state: string;
  sent_at: string | null;
}

/** Sends `n` messages pinned to port 0 and returns the gaps (ms) between their send times. */
async function gapsOnPort0(stack: Stack, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await gateway<{ id: number }>(stack, 'POST', '/api/v1/messages', { to: customer(), text: `pacing ${i}`, port: 0 });
    ids.push(r.id);
  }
  const sent = await waitFor('the paced messages to be sent', 60_000, async () => {
    const all = await Promise.all(ids.map((id) => gateway<Msg>(stack, 'GET', `/api/v1/messages/${id}`)));
    return all.every((m) => m.sent_at) ? all : undefined;
  });
  const times = sent.map((m) => Date.parse(m.sent_at ?? '')).sort((a, b) => a - b);
  return times.slice(1).map((t, i) => t - (times[i] ?? t));
}

async function setInterval(page: import('@playwright/test').Page, ms: number): Promise<void> {
  const field = page.getByLabel('Interval between sends (ms)');
  await field.fill(String(ms));
  await page.getByRole('button', { name: 'Save group demo' }).click();
  await expect(page.getByText('Group demo saved and applied.')).toBeVisible();
}

test.describe('the box UI groups', () => {
  test('a refused value is named on its field with the words of config check, and nothing changes', async ({ page, stack }) => {
    await boxLogin(page, stack);
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByLabel('Cap per SIM per hour').fill('0');
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Save group demo' }).click();
    await expect(page.getByRole('alert').first()).toContainText('Nothing was changed:');
    await expect(page.locator('.field-error').filter({ hasText: /unknown time zone "Mars\/Olympus"/ })).toBeVisible();
    await expectAccessible(page, 'box groups with errors');
    const g = await gateway<{ groups: Array<{ timezone: string; max_per_hour: number | null }> }>(stack, 'GET', '/api/v1/box/groups');
    expect(g.groups[0]).toMatchObject({ timezone: 'UTC', max_per_hour: null });
  });

  test('a new interval paces the next sends, and still does after a restart', async ({ page, stack }) => {
    test.setTimeout(240_000);
    await boxLogin(page, stack);
    await page.goto(boxUrl(stack, '/groups'));
    try {
      await setInterval(page, 2500);
      for (const gap of await gapsOnPort0(stack, 3)) expect(gap).toBeGreaterThanOrEqual(2400);
      await restartGateway(stack);
      // Still 2.5 s after the restart: read back from overrides.json.
      const g = await gateway<{ groups: Array<{ interval_ms: number; overridden: string[] }> }>(stack, 'GET', '/api/v1/box/groups');
      expect(g.groups[0]?.interval_ms).toBe(2500);
      expect(g.groups[0]?.overridden).toContain('interval_ms');
      for (const gap of await gapsOnPort0(stack, 3)) expect(gap).toBeGreaterThanOrEqual(2400);
    } finally {
      // Back to the demo's pace for the other tests (a new login: the restart ended the session).
      await boxLogin(page, stack);
      await page.goto(boxUrl(stack, '/groups'));
      await setInterval(page, 100);
    }
    // Quick again: the override follows the change.
    for (const gap of await gapsOnPort0(stack, 2)) expect(gap).toBeLessThan(2400);
  });
});
