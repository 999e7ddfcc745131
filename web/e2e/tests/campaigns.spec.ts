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

  test('a tenant admin creates a campaign in the form, sees a bad recipients line named, previews the personalised first rows, starts it, watches it and stops it', async ({ page, stack }) => {
    test.setTimeout(120_000);
    const admin = await hub(stack, 'tenant_admin');
    const sim = stack.info.sim_numbers[1] ?? '';
    const people = Array.from({ length: 6 }, () => customer());
    const name = `Spring codes ${Date.now()}`;
    page.on('dialog', (d) => void d.accept());
    await loginAs(page, stack.info, 'tenant_admin');
    await page.goto('/campaigns');
    await page.getByRole('button', { name: 'New campaign' }).click();
    const form = page.getByRole('form', { name: 'New campaign' });
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel(new RegExp(sim.replace('+', '\\+'))).check();
    await form.getByLabel('Message', { exact: true }).fill('Hello {{first_name}}, your code is {{code}}.');
    // One message every 4 s on the port: slow enough to stop it half-way.
    await form.getByLabel('Time between messages (ms)').fill('4000');
    // Every day, all day, whenever the suite runs.
    await form.getByLabel('Send from').fill('00:00');
    await form.getByLabel('until', { exact: true }).fill('24:00');
    await form.getByLabel('Sat', { exact: true }).check();
    await form.getByLabel('Sun', { exact: true }).check();
    await form.getByRole('button', { name: 'Create the campaign' }).click();
    await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
    await expect(page.getByTestId('campaign-state')).toHaveAttribute('data-state', 'draft');

    // A row without the first name its message needs: the line is named and nothing is imported.
    const upload = page.getByRole('form', { name: 'Recipients' });
    const csv = (rows: string[]) => ({ name: 'recipients.csv', mimeType: 'text/csv', buffer: Buffer.from(`number,first_name,code\n${rows.join('\n')}\n`) });
    await upload.getByLabel('File').setInputFiles(csv([`${people[0]},Alice,A1`, `${people[1]},,B2`]));
    await upload.getByRole('button', { name: 'Upload' }).click();
    await expect(upload.getByTestId('upload-errors')).toContainText('Line 3 (first_name)');
    await expect(page.getByText('No recipient yet.')).toBeVisible();
    await expectAccessible(page, 'campaign upload with a bad line');

    // The whole list, with one number written twice (00 instead of +): the duplicate is set aside.
    const names = ['Alice', 'Bruno', 'Chloé', 'Dmitri', 'Eve', 'Farid'];
    const rows = people.map((p, i) => `${p},${names[i]},C${i + 1}`);
    rows.push(`${(people[2] ?? '').replace('+', '00')},Chloé,C3`);
    await upload.getByLabel('File').setInputFiles(csv(rows));
    await upload.getByRole('button', { name: 'Upload' }).click();
    await expect(upload.getByRole('status')).toContainText('7 rows read: 6 to send');
    const preview = page.getByTestId('campaign-preview');
    await expect(preview).toContainText('Hello Alice, your code is C1.');
    await expect(preview).toContainText('Hello Chloé, your code is C3.');
    await expect(page.getByTestId('count-duplicate')).toContainText('1');

    // Started: the counters move on their own, the first handset reads its own text.
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByTestId('campaign-state')).toHaveAttribute('data-state', 'running');
    await expect.poll(async () => (await handset(stack, people[0] ?? '')).map((m) => m.text), { timeout: 30_000 }).toEqual(['Hello Alice, your code is C1.']);
    await expect(page.getByTestId('count-processed')).not.toContainText(/^\D*0$/, { timeout: 15_000 });
    await expectAccessible(page, 'a running campaign');

    // Stopped (after the confirmation): for good, no action left; nobody got a message twice or someone else's.
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(page.getByTestId('campaign-state')).toHaveAttribute('data-state', 'stopped');
    const id = new URL(page.url()).pathname.split('/').pop() ?? '';
    expect((await admin.get<{ campaign: { state: string } }>(`/api/v1/campaigns/${id}`)).campaign.state).toBe('stopped');
    for (const a of ['Start', 'Pause', 'Resume', 'Stop']) await expect(page.getByRole('button', { name: a, exact: true })).toHaveCount(0);
    // What was not sent stays unsent: at most the one message on the air at the stop still lands
    // (the halt reaches the gateway once committed); two intervals later nothing more has.
    const holding = async () => (await Promise.all(people.map((p) => handset(stack, p)))).filter((m) => m.length > 0).length;
    const atStop = await holding();
    await page.waitForTimeout(9_000);
    const after = await holding();
    expect(after, `handsets with a message ${atStop} at the stop, ${after} later`).toBeLessThanOrEqual(atStop + 1);
    expect(after, 'stopped half-way').toBeLessThan(people.length);
    for (const [i, p] of people.entries()) {
      const got = (await handset(stack, p)).map((m) => m.text);
      expect(got.length, `handset ${p}`).toBeLessThanOrEqual(1);
      if (got.length === 1) expect(got[0]).toBe(`Hello ${names[i] ?? ''}, your code is C${i + 1}.`);
    }
  });
});
