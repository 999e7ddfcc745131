import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { customer, expect, expectAccessible, handset, hub, inject, loginAs, test } from '../harness/fixtures.ts';

/** French and dark from the first paint (the choices the shell remembers per browser). */
async function frenchDark(page: Page): Promise<void> {
  await page.addInitScript(() => {
    localStorage.setItem('smsgate.locale', 'fr');
    localStorage.setItem('smsgate.theme', 'dark');
  });
}

test.describe('inbox notes, labels, canned replies and transcripts', () => {
  test('an agent inserts a canned reply and adds a note the customer never receives', async ({ page, stack }) => {
    const from = customer();
    const tag = from.slice(-5);
    const admin = await hub(stack, 'tenant_admin');
    await admin.post('/api/v1/canned-replies', { title: `Shipping ${tag}`, text: `Your parcel ${tag} ships today.` });
    await admin.post('/api/v1/canned-replies', { title: `Refund ${tag}`, text: 'Refunds take five days.' });

    await loginAs(page, stack.info, 'agent');
    await expect(page.locator('[data-live="open"]')).toBeAttached();
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Where is my parcel?' });
    const row = page.locator('.conv-row', { hasText: from });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await row.click();
    await expect(page.getByRole('heading', { name: from, level: 2 })).toBeVisible();

    // Canned replies: searched from the reply box, the picked one inserted into the text.
    await page.getByRole('button', { name: 'Canned replies' }).click();
    const picker = page.getByRole('dialog', { name: 'Canned replies' });
    await picker.getByLabel('Search canned replies').fill(`shipping ${tag}`);
    await expect(picker.locator('.canned-item')).toHaveCount(1);
    await expectAccessible(page, 'canned reply picker');
    await picker.getByRole('button', { name: new RegExp(`^Shipping ${tag}`) }).click();
    await expect(picker).toBeHidden();
    const box = page.getByTestId('reply-text');
    await expect(box).toHaveValue(`Your parcel ${tag} ships today.`);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.locator('.bubble-out', { hasText: `parcel ${tag}` })).toBeVisible();

    // An internal note: visibly internal, in the thread, never sent.
    await page.getByRole('button', { name: 'Internal note' }).click();
    await expect(page.locator('form.reply')).toHaveAttribute('data-mode', 'note');
    await page.getByLabel('Internal note').fill(`VIP ${tag}: call back after 5 pm`);
    await expectAccessible(page, 'reply box in note mode');
    await page.getByRole('button', { name: 'Add note' }).click();
    const note = page.getByTestId('note').filter({ hasText: `VIP ${tag}` });
    await expect(note).toBeVisible();
    await expect(note).toContainText('Internal note · Agent');
    await expect(box).toHaveValue('');
    // A later reply reaches the handset; the note never does.
    await page.getByRole('button', { name: 'Reply', exact: true }).click();
    await box.fill(`Anything else ${tag}?`);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(async () => (await handset(stack, from)).map((m) => m.text), { timeout: 30_000 }).toEqual(expect.arrayContaining([`Your parcel ${tag} ships today.`, `Anything else ${tag}?`]));
    expect((await handset(stack, from)).map((m) => m.text).filter((t) => t.includes('VIP'))).toEqual([]);
    await expectAccessible(page, 'conversation with a note');

    // Transcript: a real PDF with the note marked internal.
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      (async () => {
        await page.getByRole('button', { name: 'Conversation actions' }).click();
        await page.getByRole('menuitem', { name: 'Download the transcript (PDF)' }).click();
      })(),
    ]);
    const path = await file.path();
    expect(file.suggestedFilename()).toMatch(/\.pdf$/);
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('pdftotext', ['-layout', path, '-']).toString();
    expect(text).toContain(`Your parcel ${tag} ships today.`);
    expect(text).toMatch(/INTERNAL NOTE/);
    expect(text).toContain(`VIP ${tag}`);
  });

  test('labels are added and removed on a conversation and filter the list, live', async ({ page, stack }) => {
    const from = customer();
    const label = `vip${from.slice(-4)}`;
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Label me' });
    await loginAs(page, stack.info, 'agent');
    const row = page.locator('.conv-row', { hasText: from });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await row.click();
    await page.getByRole('button', { name: 'Add a label' }).click();
    await page.getByLabel('New label').fill(label);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const chip = page.getByTestId('conv-labels').locator(`[data-label="${label}"]`);
    await expect(chip).toBeVisible();

    // Filter by the label: only conversations carrying it.
    await page.getByTestId('conv-label').selectOption(label);
    await expect(page.locator('.conv-row')).toHaveCount(1);
    await expect(row).toBeVisible();
    await expectAccessible(page, 'inbox filtered by label');
    // Removing the label takes it out of the filtered list at once.
    await page.getByRole('button', { name: `Remove the label ${label}` }).click();
    await expect(chip).toHaveCount(0);
    await expect(page.locator('.conv-row', { hasText: from })).toHaveCount(0);
    await page.getByTestId('conv-label').selectOption('');
    await expect(row).toBeVisible();

    // The hub agrees.
    const admin = await hub(stack, 'tenant_admin');
    const page1 = await admin.get<{ items: Array<{ id: string }> }>(`/api/v1/interactions?label=${label}`);
    expect(page1.items).toEqual([]);
  });

  test('notes and labels in French, dark, 375 px wide stay usable and accessible', async ({ page, stack }) => {
    const from = customer();
    await page.setViewportSize({ width: 375, height: 740 });
    await frenchDark(page);
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Bonjour' });
    await loginAs(page, stack.info, 'agent');
    const row = page.locator('.conv-row', { hasText: from });
    await expect(row).toBeVisible({ timeout: 20_000 });
    await row.click();
    await page.getByRole('button', { name: 'Note interne' }).click();
    await page.getByLabel('Note interne').fill('Client fidèle');
    await page.getByRole('button', { name: 'Ajouter la note' }).click();
    await expect(page.getByTestId('note').filter({ hasText: 'Client fidèle' })).toContainText('Note interne');
    await page.getByRole('button', { name: 'Ajouter une étiquette' }).click();
    await page.getByLabel('Nouvelle étiquette').fill('fidèle');
    await page.getByRole('button', { name: 'Ajouter', exact: true }).click();
    await expect(page.getByTestId('conv-labels').locator('[data-label="fidèle"]')).toBeVisible();
    await page.getByRole('button', { name: 'Réponses prédéfinies' }).click();
    await expect(page.getByRole('dialog', { name: 'Réponses prédéfinies' })).toBeVisible();
    // Nothing is wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expectAccessible(page, 'conversation in French, dark, on a phone');
  });
});
