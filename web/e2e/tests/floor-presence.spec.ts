import { expect, expectAccessible, hub, loginAs, test } from '../harness/fixtures.ts';

/** Issue 13: an agent's own presence, set from the portal header, seen live by a manager. */
test.describe('an agent sets their own presence', () => {
  test('an agent goes to lunch and signs off from the header; the manager sees it live with the time in state; every change is audited', async ({ page, browser, stack }) => {
    await loginAs(page, stack.info, 'manager');
    await expect(page.locator('[data-live="open"]')).toBeAttached();
    await page.goto('/monitor');
    await expect(page.getByRole('heading', { name: 'Live monitor', level: 1 })).toBeVisible();
    const row = page.getByTestId('monitor-agents').locator(`tr[data-agent="${stack.info.agent.login}"]`);

    const agentContext = await browser.newContext();
    const agent = await agentContext.newPage();
    try {
      await loginAs(agent, stack.info, 'agent');
      await expect(agent.locator('[data-live="open"]')).toBeAttached();
      const presence = agent.getByRole('button', { name: /^My presence: Available/ });
      await expect(presence).toBeVisible();
      await expect(row).toHaveAttribute('data-state', /available|busy/, { timeout: 15_000 });

      // Lunch, from the header menu: the manager's row turns away with the reason, no reload.
      await presence.click();
      await expect(agent.getByRole('menu')).toBeVisible();
      await expectAccessible(agent, 'presence menu open');
      await agent.getByRole('menuitemradio', { name: 'Away: lunch' }).click();
      await expect(agent.getByTestId('presence')).toHaveAttribute('data-presence', 'away');
      await expect(agent.getByRole('button', { name: /^My presence: Away: lunch/ })).toBeVisible();
      await expect(row).toHaveAttribute('data-state', 'away');
      await expect(row).toContainText('Away · lunch');
      // The time in state counts from the change.
      await expect(row.locator('time')).toHaveText(/^0:0\d$/);

      // Signed off with the portal still open: offline on the monitor.
      await agent.getByRole('button', { name: /^My presence/ }).click();
      await agent.getByRole('menuitemradio', { name: 'Offline' }).click();
      await expect(row).toHaveAttribute('data-state', 'offline');
      await expect(row).toContainText('signed off');
      // Back.
      await agent.getByRole('button', { name: /^My presence/ }).click();
      await agent.getByRole('menuitemradio', { name: 'Available' }).click();
      await expect(row).toHaveAttribute('data-state', /available|busy/);
      await expectAccessible(page, 'monitor with presence');
    } finally {
      await agentContext.close();
    }

    // Every change is in the audit log, in words.
    const admin = await hub(stack, 'tenant_admin');
    const entries = await admin.list<{ action: string; target: string; detail: string; actor: string }>('/api/v1/audit?q=presence');
    const details = entries.filter((e) => e.target === 'presence').map((e) => e.detail);
    expect(details.slice(0, 3)).toEqual(['available', 'offline', 'away (lunch)']);
  });

  test('the presence menu in French, dark, 375 px wide', async ({ page, stack }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.addInitScript(() => {
      localStorage.setItem('smsgate.locale', 'fr');
      localStorage.setItem('smsgate.theme', 'dark');
    });
    await loginAs(page, stack.info, 'agent');
    const presence = page.getByRole('button', { name: /^Ma présence/ });
    await expect(presence).toBeVisible();
    await presence.click();
    await page.getByRole('menuitemradio', { name: 'Absent : formation' }).click();
    await expect(page.getByTestId('presence')).toHaveAttribute('data-presence', 'away');
    await expect(page.getByRole('button', { name: /^Ma présence : Absent : formation/ })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'the header fits the phone').toBeLessThanOrEqual(375);
    await expectAccessible(page, 'presence in French, dark, on a phone');
    await presence.click();
    await page.getByRole('menuitemradio', { name: 'Disponible' }).click();
    await expect(page.getByTestId('presence')).toHaveAttribute('data-presence', 'available');
  });
});
