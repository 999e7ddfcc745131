import { customer, expect, expectAccessible, hub, inject, loginWith, test } from '../harness/fixtures.ts';

let n = 0;
/** A fresh tenant user with the plain "user" role (the demo seeds none). */
async function newUser(stack: Parameters<typeof hub>[0]) {
  n += 1;
  const admin = await hub(stack, 'tenant_admin');
  const login = `e2e-user-${process.pid}-${n}`;
  const password = 'first-password-1';
  await admin.post('/api/v1/users', { login, name: 'Pat Example', role: 'user', password });
  return { login, password };
}

test.describe('my account', () => {
  test('a plain user logs in, may start a message, and changes name and password', async ({ page, stack }) => {
    const me = await newUser(stack);
    await loginWith(page, me);
    await expect(page.locator('.who-role')).toHaveText('User');
    await expect(page.getByRole('button', { name: 'New message' })).toBeVisible();

    await page.getByRole('button', { name: /^Account menu for/ }).click();
    await page.getByRole('menuitem', { name: 'My account and password' }).click();
    const dialog = page.getByRole('dialog', { name: 'My account' });
    await expectAccessible(page, 'profile dialog');
    await dialog.getByLabel('Name').fill('Pat Renamed');
    await dialog.getByRole('button', { name: 'Save name' }).click();
    await expect(page.locator('.who-name')).toHaveText('Pat Renamed');

    // A wrong current password is named on its field; nothing changes.
    await dialog.getByLabel('Current password').fill('wrong');
    await dialog.getByLabel('New password', { exact: true }).fill('second-password-2');
    await dialog.getByLabel('Confirm new password').fill('second-password-2');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect(dialog.getByText('The current password is wrong.')).toBeVisible();
    // Mismatched confirmation is refused before any request.
    await dialog.getByLabel('Current password').fill(me.password);
    await dialog.getByLabel('Confirm new password').fill('something-else');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect(dialog.getByText('The two passwords differ.')).toBeVisible();
    await dialog.getByLabel('Confirm new password').fill('second-password-2');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByText('Password changed. Your other sessions were ended.')).toBeVisible();
    await expect(dialog).toBeHidden();
    // Still logged in (with the new password), and the old one no longer works.
    expect(await page.evaluate(async () => (await fetch('/api/v1/me')).status)).toBe(200);
    const old = await fetch(`${stack.info.hub_api}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(me) });
    expect(old.status).toBe(401);
  });

  test('conversation details and "add to contacts" from the context menu', async ({ page, stack }) => {
    const from = customer();
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Who am I?' });
    await loginWith(page, stack.info.tenant_admin);
    await page.locator('.conv-row', { hasText: from }).click();
    await page.getByRole('button', { name: 'Conversation actions' }).click();
    await page.getByRole('menuitem', { name: 'Details' }).click();
    const details = page.getByRole('dialog', { name: 'Conversation details' });
    await expect(details).toContainText(from);
    await expect(details).toContainText(stack.info.queue);
    await expectAccessible(page, 'details dialog');
    await details.getByRole('button', { name: 'Close dialog' }).click();

    await page.getByRole('button', { name: 'Conversation actions' }).click();
    await page.getByRole('menuitem', { name: 'Add to contacts' }).click();
    const add = page.getByRole('dialog', { name: 'Add to contacts' });
    await expect(add.getByLabel('SMS number')).toHaveValue(from);
    await add.getByLabel('Full name').fill('Quinn Contact');
    await expectAccessible(page, 'add contact dialog');
    await add.getByRole('button', { name: 'Add contact' }).click();
    await expect(add).toBeHidden();
    await expect(page.getByRole('heading', { name: 'Quinn Contact', level: 2 })).toBeVisible();
    await expect(page.locator('.conv-row', { hasText: 'Quinn Contact' })).toBeVisible();
    // Search finds it by name.
    await page.getByTestId('conv-search').fill('quinn');
    await expect(page.locator('.conv-count')).toHaveText('1 conversation');
  });
});
