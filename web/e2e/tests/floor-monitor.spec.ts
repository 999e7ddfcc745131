import { customer, expect, expectAccessible, hub, inject, loginAs, test } from '../harness/fixtures.ts';

test.describe('the supervisor monitor', () => {
  test('a manager sees an agent state change live, spies on a conversation and takes it over', async ({ page, browser, stack }) => {
    const from = customer();
    await loginAs(page, stack.info, 'manager');
    await expect(page.locator('[data-live="open"]')).toBeAttached();
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Monitor' }).click();
    await expect(page.getByRole('heading', { name: 'Live monitor', level: 1 })).toBeVisible();
    const agentRow = page.getByTestId('monitor-agents').locator(`tr[data-agent="${stack.info.agent.login}"]`);
    await expect(agentRow).toBeVisible();

    // The agent opens the portal in another browser context: available, live.
    const agentContext = await browser.newContext();
    const agentPage = await agentContext.newPage();
    try {
      await loginAs(agentPage, stack.info, 'agent');
      await expect(agentPage.locator('[data-live="open"]')).toBeAttached();
      await expect(agentRow).toHaveAttribute('data-state', 'available', { timeout: 15_000 });
      await expect(agentRow).toContainText('Available');
      // A break (the agent's own status) shows as away, without reload.
      const agentApi = await hub(stack, 'agent');
      await agentApi.put('/api/v1/floor/me', { status: 'away' });
      await expect(agentRow).toHaveAttribute('data-state', 'away');
      await agentApi.put('/api/v1/floor/me', { status: 'available' });
      await expect(agentRow).toHaveAttribute('data-state', 'available');
      // The agent closes the portal: offline.
      await agentContext.close();
      await expect(agentRow).toHaveAttribute('data-state', 'offline', { timeout: 60_000 });
    } finally {
      await agentContext.close().catch(() => {});
    }

    // A customer waits: listed with the time waited; the manager watches it live, read only.
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Is anyone there?' });
    const waiting = page.getByTestId('monitor-waiting').locator('tr', { hasText: from });
    await expect(waiting).toBeVisible({ timeout: 20_000 });
    await expectAccessible(page, 'monitor');
    await waiting.getByRole('link', { name: `Watch the conversation with ${from}` }).click();
    const spy = page.getByTestId('spy');
    await expect(spy.getByRole('heading', { name: `Watching ${from}` })).toBeVisible();
    await expect(spy.locator('.bubble-in')).toContainText('Is anyone there?');
    await expect(page.getByTestId('reply-text')).toHaveCount(0);
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Hello??' });
    await expect(spy.locator('.bubble-in', { hasText: 'Hello??' })).toBeVisible({ timeout: 20_000 });
    await expectAccessible(page, 'spy view');

    // Take over: the conversation is the manager's, opened in the inbox.
    await page.getByRole('link', { name: 'Back to the monitor' }).click();
    await waiting.getByRole('button', { name: 'Take over' }).click();
    await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('heading', { name: from, level: 2 })).toBeVisible();
    await expect(page.locator('.conv-row', { hasText: from })).toContainText('Assigned to you');
    const admin = await hub(stack, 'tenant_admin');
    const users = await admin.get<{ items: Array<{ id: string; login: string }> }>('/api/v1/users?limit=500');
    const manager = users.items.find((u) => u.login === stack.info.manager.login);
    const list = await admin.get<{ items: Array<{ contact_number: string; assignee_id: string | null }> }>(`/api/v1/interactions?contact=${encodeURIComponent(from)}`);
    expect(list.items.map((i) => i.assignee_id)).toEqual([manager?.id]);
  });

  test('a manager reassigns a waiting conversation to an agent from the monitor', async ({ page, stack }) => {
    const from = customer();
    const admin = await hub(stack, 'tenant_admin');
    const users = await admin.get<{ items: Array<{ id: string; login: string; name: string }> }>('/api/v1/users?limit=500');
    const agent = users.items.find((u) => u.login === stack.info.agent.login);
    if (!agent) throw new Error('no agent in the demo tenant');
    await loginAs(page, stack.info, 'manager');
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Monitor' }).click();
    await expect(page.getByRole('heading', { name: 'Live monitor', level: 1 })).toBeVisible();
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Can someone help me?' });
    const waiting = page.getByTestId('monitor-waiting').locator('tr', { hasText: from });
    await expect(waiting).toBeVisible({ timeout: 20_000 });

    await waiting.getByRole('button', { name: `Reassign the conversation with ${from}` }).click();
    const dialog = page.getByRole('dialog', { name: `Reassign the conversation with ${from}` });
    await expect(dialog).toBeVisible();
    await expectAccessible(page, 'reassign dialog');
    await dialog.getByTestId('reassign-target').selectOption(agent.id);
    await dialog.getByRole('button', { name: 'Reassign' }).click();
    await expect(page.getByText(`The conversation with ${from} is now assigned to ${agent.name}.`)).toBeVisible();
    await expect(dialog).toHaveCount(0);
    // Still waiting for an answer, now with the agent's name, live.
    await expect(waiting).toContainText(agent.name);
    const list = await admin.get<{ items: Array<{ assignee_id: string | null }> }>(`/api/v1/interactions?contact=${encodeURIComponent(from)}`);
    expect(list.items.map((i) => i.assignee_id)).toEqual([agent.id]);
  });
});
