import { apiLogin } from '../harness/stack.ts';
import { expect, expectAccessible, hub, loginAs, test } from '../harness/fixtures.ts';
import { checkScreen, openFromMenu } from './support.ts';

test.describe('users and queues', () => {
  test('a tenant admin adds a user with a generated password, edits, disconnects, deactivates, deletes and restores them', async ({ page, stack }) => {
    const login = `temp${Date.now()}`;
    await loginAs(page, stack.info, 'tenant_admin');
    await openFromMenu(page, 'Users');
    await checkScreen(page, 'users', { en: 'Users', fr: 'Utilisateurs' });
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Name', { exact: true }).fill('Temp Agent');
    await dialog.getByLabel('Username').fill(login);
    await dialog.getByLabel('Role').selectOption({ label: 'Agent' });
    await dialog.getByRole('button', { name: 'Generate' }).click();
    const password = await dialog.getByLabel('Password').inputValue();
    expect(password).toHaveLength(16);
    await expectAccessible(page, 'new user dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    const row = page.locator('tr', { hasText: login });
    await expect(row).toContainText('Agent');
    // The generated password logs in.
    const token = await apiLogin(stack.info.hub_api, { login, password });
    expect(token).toMatch(/^sgs_/);

    await row.getByRole('button', { name: 'Edit Temp Agent' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Temp Agent' });
    await edit.getByLabel('Role').selectOption({ label: 'Manager' });
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect(row).toContainText('Manager');

    await row.getByRole('button', { name: 'Disconnect Temp Agent' }).click();
    await page.getByTestId('confirm').click();
    // The click does not wait for the hub's answer: the session ends once the request is done.
    await expect.poll(async () => (await fetch(`${stack.info.hub_api}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status, { timeout: 10_000 }).toBe(401);

    await row.getByRole('button', { name: 'Deactivate Temp Agent' }).click();
    await page.getByTestId('confirm').click();
    await expect(row.locator('[data-state]')).toHaveText('Deactivated');
    await expect(apiLogin(stack.info.hub_api, { login, password })).rejects.toThrow(/HTTP 401/);

    await row.getByRole('button', { name: 'Delete Temp Agent' }).click();
    await page.getByTestId('confirm').click();
    await expect(page.locator('tr', { hasText: login })).toHaveCount(0);
    await page.getByRole('link', { name: 'Archive' }).click();
    const archived = page.getByRole('table', { name: 'Archived users' }).locator('tr', { hasText: login });
    await expect(archived).toBeVisible();
    await expectAccessible(page, 'users archive');
    await archived.getByRole('button', { name: 'Restore Temp Agent' }).click();
    await expect(archived).toHaveCount(0);
    await page.getByRole('link', { name: 'Users', exact: true }).last().click();
    await expect(page.locator('tr', { hasText: login }).locator('[data-state]')).toHaveText('Active');
  });

  test('a tenant admin adds a queue with an agent and a manager, edits its members and deletes it', async ({ page, stack }) => {
    const name = `Support ${Date.now()}`;
    await loginAs(page, stack.info, 'tenant_admin');
    await openFromMenu(page, 'Queues');
    await page.getByRole('button', { name: 'Add queue' }).click();
    const dialog = page.getByRole('dialog', { name: 'New queue' });
    await dialog.getByLabel('Name', { exact: true }).fill(name);
    await dialog.getByLabel('Description').fill('Second line');
    await dialog.getByRole('checkbox', { name: new RegExp(`\\(${stack.info.agent.login}\\)`) }).check();
    await dialog.getByRole('checkbox', { name: new RegExp(`\\(${stack.info.manager.login}\\)`) }).check();
    await dialog.getByLabel('Role of Manager in the queue').selectOption('manager');
    await expectAccessible(page, 'new queue dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    const row = page.locator('tr', { hasText: name });
    await expect(row.locator('td').nth(2)).toHaveText('1');
    await expect(row.locator('td').nth(3)).toHaveText('1');
    await checkScreen(page, 'queues', { en: 'Queues', fr: "Files d'attente" });

    await page.locator('tr', { hasText: name }).getByRole('button', { name: `Edit ${name}` }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${name}` });
    await edit.getByRole('checkbox', { name: new RegExp(`\\(${stack.info.agent.login}\\)`) }).uncheck();
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect(page.locator('tr', { hasText: name }).locator('td').nth(2)).toHaveText('0');
    const admin = await hub(stack, 'tenant_admin');
    const queues = await admin.get<{ items: Array<{ name: string; members: unknown[] }> }>(`/api/v1/queues?q=${encodeURIComponent(name)}`);
    expect(queues.items[0]?.members).toHaveLength(1);

    await page.locator('tr', { hasText: name }).getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByTestId('confirm').click();
    await expect(page.locator('tr', { hasText: name })).toHaveCount(0);
  });

  test("a user and a queue a colleague adds in another session appear on the open lists without a reload", async ({ page, stack }) => {
    const stamp = Date.now();
    await loginAs(page, stack.info, 'tenant_admin');
    await openFromMenu(page, 'Users');
    await expect(page.getByRole('button', { name: 'Add user' })).toBeVisible();
    // The page stays as it is: no reload from here on (moving between screens is in-app).
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const colleague = await hub(stack, 'tenant_admin');
    await colleague.post('/api/v1/users', { login: `live${stamp}`, name: `Live Agent ${stamp}`, role: 'agent', password: 'live-list-password' });
    await expect(page.locator('tr', { hasText: `live${stamp}` })).toContainText('Agent');

    await openFromMenu(page, 'Queues');
    await expect(page.getByRole('button', { name: 'Add queue' })).toBeVisible();
    await colleague.post('/api/v1/queues', { name: `Live queue ${stamp}`, description: 'added elsewhere' });
    await expect(page.locator('tr', { hasText: `Live queue ${stamp}` })).toContainText('added elsewhere');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });
});
