import { customer, expect, expectAccessible, hub, inject, loginAs, test } from '../harness/fixtures.ts';
import { openFromMenu } from './support.ts';

interface Channel {
  id: string;
  sim_number: string;
  destination: { type: string; id?: string };
}
interface Conv {
  id: string;
  contact_number: string;
  queue_id: string | null;
  assignee_id: string | null;
}

test.describe('where a conversation goes', () => {
  test('a channel pointed at a queue in the portal keeps its SMS from other queues; a transfer to a queue, a release to the group, a transfer out of sight and a channel pointed at a user hand it on; one handed out of sight of an agent by someone else leaves their screen', async ({ page, browser, stack }) => {
    test.setTimeout(120_000);
    const sim = stack.info.sim_numbers[2] ?? '';
    const admin = await hub(stack, 'tenant_admin');
    const billing = await admin.post<{ id: string; name: string }>('/api/v1/queues', { name: `Billing ${Date.now()}`, members: [] });
    const queues = await admin.list<{ id: string; name: string }>('/api/v1/queues');
    const support = queues.find((q) => q.name === stack.info.queue);
    const channel = (await admin.list<Channel>('/api/v1/channels')).find((c) => c.sim_number === sim);
    expect(support).toBeDefined();
    expect(channel).toBeDefined();
    const agentId = (await admin.list<{ id: string; login: string }>('/api/v1/users')).find((u) => u.login === stack.info.agent.login)?.id;
    const conv = async (from: string) => (await admin.list<Conv>('/api/v1/interactions')).find((x) => x.contact_number === from);

    // The agent (a member of the demo queue only) keeps the portal open in another browser.
    const agentContext = await browser.newContext();
    const agent = await agentContext.newPage();
    try {
      await loginAs(agent, stack.info, 'agent');
      await expect(agent.locator('[data-live="open"]')).toBeAttached();

      // The tenant admin points the channel at the new queue in its destination dialog.
      await loginAs(page, stack.info, 'tenant_admin');
      await openFromMenu(page, 'Channels');
      const row = page.locator('tr', { hasText: sim });
      await expect(row).toContainText(`Queue ${stack.info.queue}`);
      await row.getByRole('button', { name: `Destination of ${sim}` }).click();
      const dest = page.getByRole('dialog', { name: `Destination of ${sim}` });
      await dest.getByLabel('A queue').check();
      await dest.getByLabel('Queue', { exact: true }).selectOption({ label: billing.name });
      await expectAccessible(page, 'destination dialog, a queue');
      await dest.getByRole('button', { name: 'Save' }).click();
      await expect(dest).toBeHidden();
      await expect(row).toContainText(`Queue ${billing.name}`);

      // Its next SMS waits in that queue: the tenant admin sees it, the agent does not.
      const first = customer();
      await inject(stack, { from: first, to: sim, text: 'A question about my invoice' });
      await expect.poll(async () => (await conv(first))?.queue_id, { timeout: 20_000 }).toBe(billing.id);
      await openFromMenu(page, 'Messages');
      const adminRow = page.locator('.conv-row', { hasText: first });
      await expect(adminRow).toContainText(`Queue ${billing.name}`);
      await agent.getByTestId('conv-search').fill(first);
      await expect(agent.locator('.conv-count')).toHaveText('0 conversations');

      // Transferred to the demo queue from the context menu: it reaches the agent's open inbox, live.
      await adminRow.click();
      await page.getByRole('button', { name: 'Conversation actions' }).click();
      await page.getByRole('menuitem', { name: 'Transfer' }).click();
      const transfer = page.getByRole('dialog', { name: 'Transfer the conversation' });
      await transfer.getByLabel('A queue').check();
      await transfer.getByTestId('transfer-target').selectOption({ label: stack.info.queue });
      await expectAccessible(page, 'transfer dialog, a queue');
      await transfer.getByRole('button', { name: 'Transfer' }).click();
      await expect(transfer).toBeHidden();
      await expect(adminRow).toContainText(`Queue ${stack.info.queue}`);
      const agentRow = agent.locator('.conv-row', { hasText: first });
      // (An agent may not read the queues, so the row names none.)
      await expect(agentRow).toHaveAttribute('data-status', 'waiting', { timeout: 15_000 });
      await expect(agentRow).not.toContainText('Assigned');
      await expect.poll(async () => (await conv(first))?.queue_id).toBe(support?.id);

      // Given to the agent, who releases it to the group: nobody holds it, the queue still does.
      await page.getByRole('button', { name: 'Conversation actions' }).click();
      await page.getByRole('menuitem', { name: 'Transfer' }).click();
      await transfer.getByLabel('A team member').check();
      await transfer.getByTestId('transfer-target').selectOption({ label: 'Agent (Agent)' });
      await transfer.getByRole('button', { name: 'Transfer' }).click();
      await expect(transfer).toBeHidden();
      await expect(agentRow).toContainText('Assigned to you');
      await expect(agentRow.locator('.red-dot')).toBeVisible();

      // The agent releases it, in French, dark, on a phone: nobody holds it, the queue still does.
      await agent.evaluate(() => {
        localStorage.setItem('smsgate.locale', 'fr');
        localStorage.setItem('smsgate.theme', 'dark');
      });
      await agent.setViewportSize({ width: 375, height: 740 });
      await agent.reload();
      await expect(agent.locator('html')).toHaveAttribute('data-theme', 'dark');
      await agent.getByTestId('conv-search').fill(first);
      await agentRow.click();
      await expect(agent.getByRole('heading', { name: first, level: 2 })).toBeVisible();
      await agent.getByRole('button', { name: 'Actions de la conversation' }).click();
      await expectAccessible(agent, 'conversation actions, French, dark, phone');
      await agent.getByRole('menuitem', { name: 'Libérer au groupe' }).click();
      await expect(agent.getByText(`Libérée à la file d'attente ${stack.info.queue}.`)).toBeVisible();
      await expect.poll(async () => (await conv(first))?.assignee_id).toBeNull();
      expect((await conv(first))?.queue_id).toBe(support?.id);
      await expect(page.locator('.conv-header')).not.toContainText('Assigné');
      await expect(page.locator('.conv-header')).not.toContainText('Assigned');
      // Nothing left to release; back in the list, the row names no assignee.
      await agent.getByRole('button', { name: 'Actions de la conversation' }).click();
      await expect(agent.getByRole('menuitem', { name: 'Transférer' })).toBeVisible();
      await expect(agent.getByRole('menuitem', { name: 'Libérer au groupe' })).toHaveCount(0);
      await agent.keyboard.press('Escape');
      await agent.getByRole('link', { name: 'Retour à la liste' }).click();
      await expect(agentRow).toBeVisible();
      await expect(agentRow).not.toContainText('Assigné');
      await expect(adminRow).toContainText(`Queue ${stack.info.queue}`);

      // The agent hands it to the other queue, which they are not in: it leaves their list at once.
      await agentRow.click();
      await agent.getByRole('button', { name: 'Actions de la conversation' }).click();
      await agent.getByRole('menuitem', { name: 'Transférer' }).click();
      const handOn = agent.getByRole('dialog', { name: 'Transférer la conversation' });
      await handOn.getByLabel("Une file d'attente").check();
      await handOn.getByTestId('transfer-target').selectOption({ label: billing.name });
      await handOn.getByRole('button', { name: 'Transférer' }).click();
      await expect(agent).toHaveURL(/\/inbox$/);
      await expect(agentRow).toHaveCount(0);
      await expect(adminRow).toContainText(`Queue ${billing.name}`);
      await expect.poll(async () => (await conv(first))?.queue_id).toBe(billing.id);

      // The channel pointed at the agent: the next SMS arrives assigned to them, in no queue.
      await openFromMenu(page, 'Channels');
      await row.getByRole('button', { name: `Destination of ${sim}` }).click();
      await dest.getByLabel('A user').check();
      await dest.getByLabel('User', { exact: true }).selectOption({ label: `Agent (${stack.info.agent.login})` });
      await expectAccessible(page, 'destination dialog, a user');
      await dest.getByRole('button', { name: 'Save' }).click();
      await expect(dest).toBeHidden();
      await expect(row).toContainText('User Agent');
      const second = customer();
      await inject(stack, { from: second, to: sim, text: 'Straight to you' });
      await agent.getByTestId('conv-search').fill(second);
      const mine = agent.locator('.conv-row', { hasText: second });
      await expect(mine).toContainText('Assigné à vous', { timeout: 20_000 });
      const routed = await conv(second);
      expect(routed?.assignee_id).toBe(agentId);
      expect(routed?.queue_id).toBeNull();
      await expectAccessible(agent, 'inbox with a conversation assigned by its channel, French, dark, phone');

      // The agent has it open when the tenant admin hands it to the other queue: the agent's
      // screen says so at once and the row leaves their list (no reload).
      await mine.click();
      await expect(agent.getByRole('heading', { name: second, level: 2 })).toBeVisible();
      await admin.post(`/api/v1/interactions/${routed?.id ?? ''}/transfer`, { queue: billing.id });
      await expect(agent.getByText('Cette conversation a été confiée à un collègue ou à une autre file', { exact: false })).toBeVisible({ timeout: 15_000 });
      await expectAccessible(agent, 'a conversation handed out of sight by someone else, French, dark, phone');
      await agent.getByRole('link', { name: 'Retour à la liste' }).click();
      await expect(mine).toHaveCount(0);
      await expect.poll(async () => (await conv(second))?.queue_id).toBe(billing.id);
    } finally {
      await agentContext.close().catch(() => {});
      if (channel && support) await admin.put(`/api/v1/channels/${channel.id}/destination`, { type: 'queue', id: support.id });
    }
  });
});
