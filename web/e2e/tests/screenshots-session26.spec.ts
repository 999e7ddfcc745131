/**
 * Screenshots of the screens session 26 added (docs/screenshots/): the monitor's reassign
 * dialog and the contacts export, in English/light and French/dark, and the dialog on a phone.
 * `SMSGATE_SCREENSHOTS=1`, as the other screenshot specs (skipped in the normal run).
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { REPO } from '../harness/stack.ts';
import { customer, expect, inject, loginAs, test } from '../harness/fixtures.ts';

const out = (name: string) => join(REPO, 'docs/screenshots', `${name}.png`);

test.skip(process.env.SMSGATE_SCREENSHOTS !== '1', 'only with SMSGATE_SCREENSHOTS=1');

async function look(page: Page, locale: 'en' | 'fr', theme: 'light' | 'dark'): Promise<void> {
  await page.addInitScript(([l, t]) => {
    localStorage.setItem('smsgate.locale', l ?? 'en');
    localStorage.setItem('smsgate.theme', t ?? 'light');
  }, [locale, theme]);
}

for (const [locale, theme, width, height] of [
  ['en', 'light', 1280, 760],
  ['fr', 'dark', 1280, 760],
  ['en', 'dark', 390, 844],
] as const) {
  const size = width < 600 ? 'phone' : 'desktop';
  test(`the monitor's reassign dialog, ${locale}, ${theme}, ${size}`, async ({ page, stack }) => {
    const from = customer();
    await look(page, locale, theme);
    await page.setViewportSize({ width, height });
    await loginAs(page, stack.info, 'manager');
    await page.goto('/monitor');
    await inject(stack, { from, to: stack.info.sim_numbers[0] ?? '', text: 'Can someone help me?' });
    const waiting = page.getByTestId('monitor-waiting').locator('tr', { hasText: from });
    await expect(waiting).toBeVisible({ timeout: 20_000 });
    await waiting.getByRole('button', { name: /^(Reassign the conversation|Réassigner la conversation)/ }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await page.screenshot({ path: out(`monitor-reassign-${locale}-${theme}-${size}`) });
  });
}

for (const [locale, theme] of [['en', 'light'], ['fr', 'dark']] as const) {
  test(`the contacts tab with its export, ${locale}, ${theme}`, async ({ page, stack }) => {
    await look(page, locale, theme);
    await page.setViewportSize({ width: 1280, height: 760 });
    await loginAs(page, stack.info, 'tenant_admin');
    await page.goto('/contacts');
    await expect(page.getByRole('button', { name: /Export/ })).toBeVisible();
    await page.screenshot({ path: out(`contacts-export-${locale}-${theme}`) });
  });
}
