import { apiLogin } from '../harness/stack.ts';
import { checkScreen } from './support.ts';
import { customer, expect, expectAccessible, handset, hub, inject, loginAs, test } from '../harness/fixtures.ts';

test.describe('campaigns', () => {
  test('a customer’s reply to a campaign message shows the campaign in the inbox and links to it', async ({ page, stack }) => {
    // The gateway sends the campaign message through the simulated network, then the customer answers.
    test.setTimeout(90_000);
    const admin = await hub(stack, 'tenant_admin');
    const sim = stack.info.sim_numbers[0] ?? '';
    const channel = (await admin.list<{ id: string; sim_number: string }>('/api/v1/channels')).find((c) => c.sim_number === sim);
    const name = `Winter sale ${Date.now()}`;
    const created = await admin.post<{ campaign: { id: string } }>('/api/v1/campaigns', {
      name,
      channels: [channel?.id],
      template: 'Winter sale: -30% this week. Questions? Just reply.',
      schedule: { timezone: 'UTC', from: '00:00', to: '23:59', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
    });
    const id = created.campaign.id;
    const who = customer();
    const token = await apiLogin(stack.info.hub_api, stack.info.tenant_admin);
    const up = await fetch(`${stack.info.hub_api}/api/v1/campaigns/${id}/recipients/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: `number\n${who}\n`,
    });
    expect(up.ok, await up.text()).toBe(true);
    await admin.post(`/api/v1/campaigns/${id}/action`, { action: 'start' });
    await expect.poll(async () => (await handset(stack, who)).map((m) => m.text), { timeout: 30_000 }).toEqual(['Winter sale: -30% this week. Questions? Just reply.']);

    await loginAs(page, stack.info, 'tenant_admin');
    await inject(stack, { from: who, to: sim, text: 'Does it include boots?' });
    const row = page.locator('.conv-row', { hasText: who });
    await expect(row.getByTestId('conv-campaign')).toHaveText(`Reply to campaign ${name}`, { timeout: 20_000 });
    await row.click();
    const tag = page.locator('.conv-header').getByTestId('conv-campaign');
    await expect(tag).toHaveText(`Reply to campaign ${name}`);
    await expectAccessible(page, 'a conversation answering a campaign');
    await tag.getByRole('link', { name }).click();
    await expect(page).toHaveURL(new RegExp(`/campaigns/${id}$`));
    await expect(page.getByRole('heading', { name })).toBeVisible();

    // The campaign screens are accessible in light English, dark French and at phone width.
    await expect(page.getByTestId('count-delivered')).toContainText('1', { timeout: 20_000 });
    await checkScreen(page, 'campaign page', { en: name, fr: name });
    await page.goto('/campaigns');
    await checkScreen(page, 'campaigns', { en: 'Campaigns', fr: 'Campagnes' });
    await page.getByRole('button', { name: 'New campaign' }).click();
    await expect(page.getByRole('form', { name: 'New campaign' })).toBeVisible();
    await expectAccessible(page, 'new campaign form');
  });
});
