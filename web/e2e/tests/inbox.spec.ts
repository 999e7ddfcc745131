import { customer, expect, expectAccessible, handset, hub, inject, loginAs, test } from '../harness/fixtures.ts';

test.describe('the shared inbox', () => {
  test('an agent receives a live SMS, replies, sees it delivered, pauses, transfers and closes', async ({ page, stack }) => {
    const from = customer();
    const sim = stack.info.sim_numbers[0] ?? '';
    await loginAs(page, stack.info, 'agent');
    await expect(page.locator('[data-live="open"]')).toBeAttached();

    // The customer writes; the conversation appears without reload, waiting, unread.
    await inject(stack, { from, to: sim, text: 'Bonjour, my order is late 📦' });
    const row = page.locator('.conv-row', { hasText: from });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await expect(row).toHaveAttribute('data-status', 'waiting');
    await expect(row).toHaveClass(/unread/);
    await expectAccessible(page, 'inbox with a conversation');

    await row.click();
    await expect(page.getByRole('heading', { name: from, level: 2 })).toBeVisible();
    await expect(page.locator('.bubble-in')).toContainText('my order is late');
    // The read tick confirms it was read.
    await page.getByRole('button', { name: 'Confirm it was read' }).click();
    await expect(page.getByTestId('read-tick')).toHaveAttribute('aria-pressed', 'true');
    await expect(row).not.toHaveClass(/unread/);

    // Reply with the live counter; the delivered tick arrives from the event stream.
    const reply = page.getByLabel('Reply');
    await reply.fill('Sorry! It ships today. 🚚');
    await expect(page.locator('#reply-counter')).toContainText('Unicode (UCS-2)');
    await expect(page.locator('#reply-counter')).toContainText('1 SMS');
    await page.getByRole('button', { name: 'Send' }).click();
    const out = page.locator('.bubble-out', { hasText: 'It ships today' });
    await expect(out).toBeVisible();
    await expect(out).toHaveAttribute('data-state', 'delivered', { timeout: 30_000 });
    await expect(out.getByRole('img', { name: 'Delivered' })).toBeVisible();
    await expect(page.getByTestId('conv-status-badge')).toHaveText('Open');
    await expect.poll(async () => (await handset(stack, from)).map((m) => m.text)).toContain('Sorry! It ships today. 🚚');
    await expectAccessible(page, 'conversation');

    // Pause.
    await page.getByRole('button', { name: 'Conversation actions' }).click();
    await page.getByRole('menuitem', { name: 'Pause' }).click();
    await expect(page.getByTestId('conv-status-badge')).toHaveText('Paused');

    // Transfer to the manager.
    await page.getByRole('button', { name: 'Conversation actions' }).click();
    await page.getByRole('menuitem', { name: 'Transfer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Transfer the conversation' });
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('transfer-target').selectOption({ label: 'Manager (Manager)' });
    await expectAccessible(page, 'transfer dialog');
    await dialog.getByRole('button', { name: 'Transfer' }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toContainText('Assigned to a colleague');
    await expect(row.locator('.red-dot')).toBeVisible();

    // Close: it leaves the inbox (still in Interactions).
    await page.getByRole('button', { name: 'Conversation actions' }).click();
    await page.getByRole('menuitem', { name: 'Close' }).click();
    await expect(page.getByTestId('conv-status-badge')).toHaveText('Closed');
    await expect(page.locator('.conv-row', { hasText: from })).toHaveCount(0);
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Interactions' }).click();
    const closedRow = page.locator('.itable-row', { hasText: from });
    await expect(closedRow).toContainText('Closed');
    await expectAccessible(page, 'interactions');
    // After a reload only live conversations load up front: the closed one comes from the on-demand query.
    await page.reload();
    await expect(closedRow).toContainText('Closed');
    await closedRow.getByRole('link').click();
    await expect(page.locator('.bubble-out', { hasText: 'It ships today' })).toBeVisible();
    await expectAccessible(page, 'interaction detail');
  });

  test('the manager sees the transfer assigned to them, with the red dot', async ({ page, stack }) => {
    const from = customer();
    const admin = await hub(stack, 'tenant_admin');
    await inject(stack, { from, to: stack.info.sim_numbers[1] ?? '', text: 'Need a manager' });
    const i = await expect
      .poll(async () => (await admin.list<{ id: string; contact_number: string }>('/api/v1/interactions')).find((x) => x.contact_number === from), { timeout: 20_000 })
      .toBeTruthy()
      .then(async () => (await admin.list<{ id: string; contact_number: string }>('/api/v1/interactions')).find((x) => x.contact_number === from));
    const users = await admin.list<{ id: string; login: string }>('/api/v1/users');
    const manager = users.find((u) => u.login === stack.info.manager.login);
    await admin.post(`/api/v1/interactions/${i?.id}/transfer`, { user: manager?.id });
    await loginAs(page, stack.info, 'manager');
    const row = page.locator('.conv-row', { hasText: from });
    await expect(row).toContainText('Assigned to you');
    await expect(row.locator('.red-dot')).toBeVisible();
    await page.getByLabel('Assigned to me').check();
    await expect(page.locator('.conv-row', { hasText: from })).toBeVisible();
  });

  test("an agent does not see another queue's conversations", async ({ page, stack }) => {
    const admin = await hub(stack, 'tenant_admin');
    const sim = stack.info.sim_numbers[3] ?? '';
    const users = await admin.list<{ id: string; login: string }>('/api/v1/users');
    const manager = users.find((u) => u.login === stack.info.manager.login);
    const queue = await admin.post<{ id: string }>('/api/v1/queues', { name: `Sales ${Date.now()}`, members: [{ user_id: manager?.id, role: 'manager' }] });
    const channels = await admin.list<{ id: string; sim_number: string }>('/api/v1/channels');
    const channel = channels.find((c) => c.sim_number === sim);
    await admin.put(`/api/v1/channels/${channel?.id}/destination`, { type: 'queue', id: queue.id });
    const from = customer();
    await inject(stack, { from, to: sim, text: 'For sales only' });
    await expect.poll(async () => (await admin.list<{ contact_number: string }>('/api/v1/interactions')).some((x) => x.contact_number === from), { timeout: 20_000 }).toBe(true);

    await loginAs(page, stack.info, 'tenant_admin');
    await expect(page.locator('.conv-row', { hasText: from })).toBeVisible();
    await page.context().clearCookies();
    await loginAs(page, stack.info, 'agent');
    await expect(page.locator('.conv-count')).toBeVisible();
    await page.getByTestId('conv-search').fill(from);
    await expect(page.locator('.conv-count')).toHaveText('0 conversations');
    await expect(page.locator('.conv-row', { hasText: from })).toHaveCount(0);
    // Not even by address.
    const agent = await hub(stack, 'agent');
    expect((await agent.list<{ contact_number: string }>('/api/v1/interactions')).some((x) => x.contact_number === from)).toBe(false);
    await admin.put(`/api/v1/channels/${channel?.id}/destination`, { type: 'tenant' });
  });

  test('new messages appear after a network cut, once the stream reconnects', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'agent');
    await expect(page.locator('[data-live="open"]')).toBeAttached();
    await page.context().setOffline(true);
    await expect(page.locator('[data-live="offline"], [data-live="reconnecting"]')).toBeAttached({ timeout: 15_000 });
    const from = customer();
    await inject(stack, { from, to: stack.info.sim_numbers[2] ?? '', text: 'Sent while you were offline' });
    await page.context().setOffline(false);
    await expect(page.locator('[data-live="open"]')).toBeAttached({ timeout: 35_000 });
    await expect(page.locator('.conv-row', { hasText: from })).toBeVisible({ timeout: 20_000 });
  });

  test('a tenant admin starts a new message with the emoji picker and the segment counter', async ({ page, stack }) => {
    const to = customer();
    await loginAs(page, stack.info, 'tenant_admin');
    await page.getByRole('button', { name: 'New message' }).click();
    const dialog = page.getByRole('dialog', { name: 'New message' });
    await dialog.getByLabel('Phone number or contact').fill(to);
    await dialog.getByTestId('compose-text').fill('x'.repeat(161));
    await expect(dialog.locator('.sms-counter')).toContainText('2 SMS');
    await expect(dialog.locator('.sms-counter')).toContainText('GSM-7');
    await dialog.getByTestId('compose-text').fill('Hello from the portal');
    await expectAccessible(page, 'new message dialog');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}$/);
    await expect(page.locator('.bubble-out', { hasText: 'Hello from the portal' })).toBeVisible();

    // The emoji picker (bundled, searchable) inserts into the reply box.
    await page.getByRole('button', { name: 'Insert an emoji' }).click();
    const picker = page.getByRole('dialog', { name: 'Emoji' });
    await picker.getByLabel('Search emoji').fill('thumbs up');
    await picker.getByRole('gridcell').first().click();
    await expect(page.getByLabel('Reply')).toHaveValue(/👍/);
    await expectAccessible(page, 'emoji picker');
    await expect.poll(async () => (await handset(stack, to)).map((m) => m.text), { timeout: 30_000 }).toContain('Hello from the portal');
  });

  test('a text over the 900-character cap is refused in the box, not by the server', async ({ page, stack }) => {
    const from = customer();
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'long one' });
    await loginAs(page, stack.info, 'agent');
    await page.locator('.conv-row', { hasText: from }).click();
    await page.getByLabel('Reply').fill('a'.repeat(901));
    await expect(page.locator('#reply-counter')).toContainText('Too long: at most 900 characters (1 too many).');
    await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
  });
});

test('the inbox works with the keyboard alone', async ({ page, stack }) => {
  const a = customer();
  const b = customer();
  await inject(stack, { from: a, to: stack.info.sim_numbers[1] ?? '', text: 'first by keyboard' });
  await inject(stack, { from: b, to: stack.info.sim_numbers[1] ?? '', text: 'second by keyboard' });
  await loginAs(page, stack.info, 'agent');
  await expect(page.locator('.conv-row', { hasText: b })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('.conv-row', { hasText: a })).toBeVisible({ timeout: 20_000 });
  // Search, then into the list with Tab, arrows between rows, Enter opens.
  await page.getByTestId('conv-search').focus();
  await page.keyboard.type(a.slice(-6));
  await page.locator('.conv-row').first().focus();
  await page.keyboard.press('Home');
  await expect(page.locator('.conv-row', { hasText: a })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: a, level: 2 })).toBeVisible();
  // Reply with Ctrl+Enter.
  await page.getByLabel('Reply').focus();
  await page.keyboard.type('typed, never clicked');
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('.bubble-out', { hasText: 'typed, never clicked' })).toBeVisible();
  // The actions menu opens with the keyboard and Escape returns focus to its button.
  const menu = page.getByRole('button', { name: 'Conversation actions' });
  await menu.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem', { name: 'Details' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Download the transcript (PDF)' })).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.getByRole('menuitem', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Details' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(menu).toBeFocused();
  await expect(page.getByRole('menu')).toHaveCount(0);
});
