import { customer, expect, expectAccessible, hub, loginAs, test } from '../harness/fixtures.ts';
import { checkScreen, openFromMenu } from './support.ts';

interface Page<T> {
  items: T[];
}
interface Contact {
  id: string;
  number: string;
  name: string;
}

test.describe('contacts and lists', () => {
  test('a tenant admin imports a contact CSV with a bad line, sees the line named and nothing imported, then imports the fixed file into a list', async ({ page, stack }) => {
    const admin = await hub(stack, 'tenant_admin');
    const [a, b, c] = [customer(), customer(), customer()];
    const listName = `Newsletter ${Date.now()}`;
    await admin.post('/api/v1/contact-lists', { name: listName, description: 'Monthly news' });
    await loginAs(page, stack.info, 'tenant_admin');
    await openFromMenu(page, 'Contacts');
    await page.getByRole('link', { name: 'Lists' }).click();
    await page.getByRole('link', { name: `Open the list ${listName}` }).click();
    await expect(page.getByRole('heading', { name: listName, level: 2 })).toBeVisible();

    const bad = `SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES\n${a}, "Ada Lovelace", Engines, ada@example.com, first\nnot-a-number, Bob, , , \n${c}, Cleo, , cleo@, \n`;
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByRole('dialog', { name: `Import contacts into ${listName}` });
    await dialog.getByTestId('import-file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await dialog.getByRole('button', { name: 'Import' }).click();
    await expect(dialog.getByTestId('import-error')).toContainText('Nothing was imported');
    const problems = dialog.getByRole('table', { name: 'Lines to fix' });
    await expect(problems.locator('tr[data-line="3"]')).toContainText('SMS_NUMBER');
    await expect(problems.locator('tr[data-line="4"]')).toContainText('EMAIL');
    await expect(problems.locator('tbody tr')).toHaveCount(2);
    await expectAccessible(page, 'import dialog with line errors');
    // Nothing half-applied: the good line 2 is not a contact.
    const after = await admin.get<Page<Contact>>(`/api/v1/contacts?q=${encodeURIComponent(a)}`);
    expect(after.items).toEqual([]);

    const good = `SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES\n${a}, "Lovelace, Ada", Engines, ada@example.com, first\n${b}, Bob, , , \n${c}, Cleo, , cleo@example.com, \n`;
    await dialog.getByTestId('import-file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await dialog.getByRole('button', { name: 'Import' }).click();
    await expect(dialog.getByTestId('import-done')).toHaveText('3 new contacts, 0 already known; 3 added to the list.');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    const members = page.getByRole('table', { name: `Contacts of ${listName}` });
    await expect(members.locator('tbody tr')).toHaveCount(3);
    await expect(members).toContainText('Lovelace, Ada');
    await checkScreen(page, 'list detail', { en: 'Contacts', fr: 'Contacts' });
  });

  test('a tenant admin adds, edits, lists, messages and deletes a contact', async ({ page, stack }) => {
    const number = customer();
    const admin = await hub(stack, 'tenant_admin');
    const listName = `VIP ${Date.now()}`;
    await admin.post('/api/v1/contact-lists', { name: listName });
    await loginAs(page, stack.info, 'tenant_admin');
    await openFromMenu(page, 'Contacts');
    await page.getByRole('button', { name: 'Add contact' }).click();
    let dialog = page.getByRole('dialog', { name: 'New contact' });
    await dialog.getByLabel('Mobile number').fill('12');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog.locator('.field-invalid')).toBeVisible();
    await dialog.getByLabel('Mobile number').fill(number);
    await dialog.getByLabel('Full name').fill('Grace Hopper');
    await dialog.getByLabel('E-mail').fill('grace@example.com');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    const row = page.locator('tr', { hasText: number });
    await expect(row).toContainText('Grace Hopper');

    await row.getByRole('button', { name: 'Edit Grace Hopper' }).click();
    dialog = page.getByRole('dialog', { name: 'Edit contact' });
    await dialog.getByLabel('Business').fill('US Navy');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(row).toContainText('US Navy');

    await row.getByRole('button', { name: 'Add Grace Hopper to a list' }).click();
    dialog = page.getByRole('dialog', { name: 'Add to a list' });
    await dialog.getByLabel('List').selectOption({ label: listName });
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog).toBeHidden();
    await expect.poll(async () => {
      const lists = await admin.get<Page<{ id: string; name: string; members: number }>>(`/api/v1/contact-lists?q=${encodeURIComponent(listName)}`);
      return lists.items[0]?.members;
    }).toBe(1);

    await row.getByRole('button', { name: 'Send a message to Grace Hopper' }).click();
    dialog = page.getByRole('dialog', { name: 'New message' });
    await expect(dialog.getByTestId('compose-to')).toHaveValue(number);
    await dialog.getByTestId('compose-text').fill('Your badge is ready.');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}$/);
    await expect(page.locator('.bubble-out', { hasText: 'Your badge is ready.' })).toBeVisible();

    await openFromMenu(page, 'Contacts');
    await checkScreen(page, 'contacts', { en: 'Contacts', fr: 'Contacts' });
    await page.getByRole('searchbox', { name: 'Search number, name, business or e-mail' }).fill(number);
    await page.locator('tr', { hasText: number }).getByRole('button', { name: 'Delete Grace Hopper' }).click();
    await page.getByTestId('confirm').click();
    await expect(page.locator('tr', { hasText: number })).toHaveCount(0);
    expect((await admin.get<Page<Contact>>(`/api/v1/contacts?q=${encodeURIComponent(number)}`)).items).toEqual([]);
  });
});
