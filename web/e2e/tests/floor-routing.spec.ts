import { customer, expect, expectAccessible, handset, hub, inject, loginAs, test } from '../harness/fixtures.ts';
import { openFromMenu } from './support.ts';

interface Channel {
  id: string;
  sim_number: string;
  destination: { type: string; id?: string };
}

test.describe('routing and opening hours from the portal', () => {
  test("a tenant admin sets a queue's strategy and hours: outside them the customer gets the reply once; a channel's hours are set and removed", async ({ page, stack }) => {
    test.setTimeout(120_000);
    const admin = await hub(stack, 'tenant_admin');
    const queue = (await admin.list<{ id: string; name: string }>('/api/v1/queues')).find((q) => q.name === stack.info.queue);
    expect(queue).toBeDefined();
    const channel = (await admin.list<Channel>('/api/v1/channels')).find((c) => c.destination.type === 'queue' && c.destination.id === queue?.id);
    expect(channel, 'a demo channel sends to the demo queue').toBeDefined();
    const before = await admin.get<unknown>(`/api/v1/queues/${queue?.id ?? ''}/routing`);
    const reply = `We are closed (${customer().slice(-5)}); we answer from 9.`;
    try {
      await loginAs(page, stack.info, 'tenant_admin');
      await openFromMenu(page, 'Queues');
      const row = page.locator('tr', { hasText: stack.info.queue });
      await row.getByRole('button', { name: `Routing and hours of ${stack.info.queue}` }).click();
      const dialog = page.getByRole('dialog', { name: `Routing and hours of ${stack.info.queue}` });
      await dialog.getByLabel('Who gets a new conversation').selectOption('round_robin');
      await dialog.getByLabel('Most open conversations per agent').fill('0');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect(dialog.getByText('A whole number from 1')).toBeVisible();
      await dialog.getByLabel('Most open conversations per agent').fill('4');
      await dialog.getByLabel(/Open only at set hours/).check();
      await dialog.getByLabel('Time zone').fill('Europe/Paris');
      // Closing before opening is refused by the hub, on that interval's field.
      await dialog.getByRole('group', { name: 'Interval 1' }).getByLabel('Closes').fill('08:00');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect(dialog.getByRole('group', { name: 'Interval 1' })).toContainText('must be after open');
      await expectAccessible(page, 'queue routing dialog with a refused interval');
      // No interval at all: always closed, so every first message gets the reply.
      for (let n = 5; n >= 1; n--) await dialog.getByRole('button', { name: `Remove the interval ${n}` }).click();
      await expect(dialog).toContainText('always closed');
      await dialog.getByLabel('Automatic reply outside the hours').fill(reply);
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect(dialog).toBeHidden();
      const saved = await admin.get<{ strategy: string; max_active: number; hours: { timezone: string; intervals: unknown[]; reply: string } }>(`/api/v1/queues/${queue?.id ?? ''}/routing`);
      expect(saved).toMatchObject({ strategy: 'round_robin', max_active: 4, hours: { timezone: 'Europe/Paris', intervals: [], reply } });

      // Reopened, it shows what was saved.
      await row.getByRole('button', { name: `Routing and hours of ${stack.info.queue}` }).click();
      await expect(dialog.getByLabel('Who gets a new conversation')).toHaveValue('round_robin');
      await expect(dialog.getByLabel('Automatic reply outside the hours')).toHaveValue(reply);
      await dialog.getByRole('button', { name: 'Cancel' }).click();

      // A customer writes twice while it is closed: the reply reaches the handset once.
      const from = customer();
      await inject(stack, { from, to: channel?.sim_number ?? '', text: 'Are you open?' });
      await expect.poll(async () => (await handset(stack, from)).filter((m) => m.text === reply).length, { timeout: 30_000 }).toBe(1);
      await inject(stack, { from, to: channel?.sim_number ?? '', text: 'Hello again' });
      await expect.poll(async () => (await admin.list<{ contact_number: string; id: string }>('/api/v1/interactions')).some((i) => i.contact_number === from)).toBe(true);
      const conv = (await admin.list<{ contact_number: string; id: string }>('/api/v1/interactions')).find((i) => i.contact_number === from);
      await expect.poll(async () => (await admin.list<{ text: string }>(`/api/v1/interactions/${conv?.id ?? ''}/messages`)).filter((m) => m.text === 'Hello again').length, { timeout: 20_000 }).toBe(1);
      await page.waitForTimeout(3_000);
      expect((await handset(stack, from)).filter((m) => m.text === reply)).toHaveLength(1);

      // A channel's own hours: set from its row, then removed.
      await openFromMenu(page, 'Channels');
      const chRow = page.locator('tr', { hasText: channel?.sim_number ?? '' });
      await chRow.getByRole('button', { name: `Opening hours of ${channel?.sim_number ?? ''}` }).click();
      const hours = page.getByRole('dialog', { name: `Opening hours of ${channel?.sim_number ?? ''}` });
      await hours.getByLabel(/Open only at set hours/).check();
      await hours.getByRole('button', { name: 'Weekdays 09:00–18:00' }).click();
      await hours.getByRole('group', { name: 'Interval 5' }).getByLabel('Closes').fill('24:00');
      await expectAccessible(page, 'channel opening hours dialog');
      await hours.getByRole('button', { name: 'Save' }).click();
      await expect(hours).toBeHidden();
      const set = await admin.get<{ intervals: { day: string; close: string }[] } | null>(`/api/v1/channels/${channel?.id ?? ''}/hours`);
      expect(set?.intervals).toHaveLength(5);
      expect(set?.intervals[4]).toMatchObject({ day: 'fri', close: '24:00' });
      await chRow.getByRole('button', { name: `Opening hours of ${channel?.sim_number ?? ''}` }).click();
      await hours.getByLabel(/Open only at set hours/).uncheck();
      await hours.getByRole('button', { name: 'Save' }).click();
      await expect(hours).toBeHidden();
      expect(await admin.get<unknown>(`/api/v1/channels/${channel?.id ?? ''}/hours`)).toBeNull();
    } finally {
      await admin.put(`/api/v1/queues/${queue?.id ?? ''}/routing`, before);
      if (channel) await admin.put(`/api/v1/channels/${channel.id}/hours`, { hours: null });
    }
  });
});
