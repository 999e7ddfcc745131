import type { Page } from '@playwright/test';
import { customer, expect, expectAccessible, hub, loginAs, test } from '../harness/fixtures.ts';

async function open(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
}

test.describe('floor administration: canned replies, notifications, audit log', () => {
  test('a tenant admin creates, edits and deletes a canned reply, and the audit log shows it', async ({ page, stack }) => {
    const tag = customer().slice(-5);
    page.on('dialog', (d) => void d.accept());
    await loginAs(page, stack.info, 'tenant_admin');
    await open(page, 'Canned replies');
    await page.getByRole('button', { name: 'New canned reply' }).click();
    const dialog = page.getByRole('dialog', { name: 'New canned reply' });
    // An empty title is refused, naming the field.
    await dialog.getByTestId('canned-text').fill(`Opening hours ${tag}: 9 to 5.`);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog.getByRole('alert')).toContainText('title');
    await dialog.getByTestId('canned-title').fill(`Hours ${tag}`);
    await expectAccessible(page, 'canned reply editor');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    const row = page.getByTestId('canned-table').locator('tr', { hasText: `Hours ${tag}` });
    await expect(row).toContainText('Every queue of the tenant');
    await expectAccessible(page, 'canned replies');

    await row.getByRole('button', { name: `Edit Hours ${tag}` }).click();
    const edit = page.getByRole('dialog', { name: 'Edit the canned reply' });
    await edit.getByTestId('canned-text').fill(`Opening hours ${tag}: 8 to 6.`);
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect(row).toContainText('8 to 6');
    // Search finds it by its text.
    await page.getByPlaceholder('Search title and text').fill(`${tag}: 8 to`);
    await expect(page.getByTestId('canned-table').locator('tbody tr')).toHaveCount(1);
    await row.getByRole('button', { name: `Delete Hours ${tag}` }).click();
    await expect(row).toHaveCount(0);

    await open(page, 'Audit log');
    await page.getByTestId('audit-search').fill('canned_reply');
    const audit = page.getByTestId('audit-table');
    await expect(audit.locator('tr[data-action="created"][data-target="canned_reply"]').first()).toBeVisible();
    await expect(audit.locator('tr[data-action="changed"][data-target="canned_reply"]').first()).toBeVisible();
    await expect(audit.locator('tr[data-action="deleted"][data-target="canned_reply"]').first()).toContainText(stack.info.tenant_admin.login);
    await expectAccessible(page, 'audit log');
  });

  test('a tenant admin configures notifications, bad fields named, and reads the log', async ({ page, stack }) => {
    const number = customer();
    await loginAs(page, stack.info, 'tenant_admin');
    await open(page, 'Notifications');
    const form = page.getByTestId('notification-settings');
    await form.getByLabel('Notify when interactions wait unseen').check();
    await form.getByLabel('Delay (minutes, 5 to 60)').fill('3');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByRole('alert').first()).toContainText('delay_minutes');
    await form.getByLabel('Delay (minutes, 5 to 60)').fill('15');
    await form.getByLabel('SMS channel that sends them').selectOption({ index: 1 });
    await form.getByRole('button', { name: 'Add a recipient' }).click();
    await form.getByLabel('Name', { exact: true }).fill('Night desk');
    await form.getByLabel('Mobile number', { exact: true }).fill(number);
    await form.getByLabel('E-mail', { exact: true }).fill('not-an-address');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByRole('alert').first()).toContainText('recipients[0].email');
    await form.getByLabel('E-mail', { exact: true }).fill('night@example.com');
    await form.getByRole('button', { name: 'Add a level' }).click();
    await form.getByLabel('No notification during quiet hours (sent when they end)').check();
    await expectAccessible(page, 'notification settings');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Notification settings saved.')).toBeVisible();

    const admin = await hub(stack, 'tenant_admin');
    const s = await admin.get<{ enabled: boolean; delay_minutes: number; recipients: Array<{ name: string; number: string | null; email: string | null }>; escalations: Array<{ after_minutes: number; audience: string }>; quiet_hours: { start: string; end: string } | null }>('/api/v1/notifications/settings');
    expect(s.enabled).toBe(true);
    expect(s.delay_minutes).toBe(15);
    expect(s.recipients).toEqual([{ name: 'Night desk', number, email: 'night@example.com' }]);
    expect(s.escalations).toEqual([{ after_minutes: 30, audience: 'queue_managers' }]);
    expect(s.quiet_hours).toMatchObject({ start: '22:00', end: '07:00' });

    // Switched off again, so the shared stack sends nothing to the other tests' handsets.
    await page.reload();
    await form.getByLabel('Notify when interactions wait unseen').uncheck();
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Notification settings saved.')).toBeVisible();
    expect((await admin.get<{ enabled: boolean }>('/api/v1/notifications/settings')).enabled).toBe(false);

    await page.getByRole('link', { name: 'Log' }).click();
    await expect(page).toHaveURL(/\/notifications\/log$/);
    await expect(page.getByRole('heading', { name: 'Notifications sent' })).toBeVisible();
    await expect(page.getByTestId('notification-log')).toBeVisible();
    await expectAccessible(page, 'notification log');
  });

  test('the admin screens in French, dark, 375 px wide', async ({ page, stack }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.addInitScript(() => {
      localStorage.setItem('smsgate.locale', 'fr');
      localStorage.setItem('smsgate.theme', 'dark');
    });
    await loginAs(page, stack.info, 'tenant_admin');
    for (const [path, heading] of [
      ['/notifications', 'Notifications'],
      ['/notifications/log', 'Notifications'],
      ['/canned', 'Réponses prédéfinies'],
      ['/audit', "Journal d'audit"],
    ] as const) {
      await page.goto(path);
      await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
      await expect(page.locator('.spinner')).toHaveCount(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} fits the phone`).toBeLessThanOrEqual(375);
      await expectAccessible(page, `${path} in French, dark, on a phone`);
    }
  });

  test('a manager has reports and canned replies but no notification settings or audit log', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'manager');
    const nav = page.getByRole('navigation', { name: 'Main menu' });
    await expect(nav.getByRole('link', { name: 'Reports', exact: true })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Canned replies', exact: true })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Notifications', exact: true })).toHaveCount(0);
    await expect(nav.getByRole('link', { name: 'Audit log', exact: true })).toHaveCount(0);
    await page.goto('/audit');
    await expect(page.getByText('You do not have access to this feature')).toBeVisible();
  });
});
