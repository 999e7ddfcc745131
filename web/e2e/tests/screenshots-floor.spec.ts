/**
 * Screenshots of the screens issues 10, 11 and 13 added in sessions 20 and 21 (docs/screenshots/,
 * linked from the README): `npm run screenshots -w e2e` (skipped in the normal run).
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { boxLogin, boxUrl } from '../harness/box.ts';
import { REPO } from '../harness/stack.ts';
import { expect, loginAs, test } from '../harness/fixtures.ts';

const out = (name: string) => join(REPO, 'docs/screenshots', `${name}.png`);

test.skip(process.env.SMSGATE_SCREENSHOTS !== '1', 'only with SMSGATE_SCREENSHOTS=1');

async function look(page: Page, locale: 'en' | 'fr', theme: 'light' | 'dark'): Promise<void> {
  await page.addInitScript(([l, t]) => {
    localStorage.setItem('smsgate.locale', l ?? 'en');
    localStorage.setItem('smsgate.theme', t ?? 'light');
  }, [locale, theme]);
}

for (const [locale, theme] of [['en', 'light'], ['fr', 'dark']] as const) {
  test(`the presence menu and the live monitor, ${locale}, ${theme}`, async ({ page, browser, stack }) => {
    await look(page, locale, theme);
    await page.setViewportSize({ width: 1280, height: 760 });
    await loginAs(page, stack.info, 'agent');
    await expect(page.locator('[data-live="open"]')).toBeAttached();
    await page.locator('.presence-menu button[aria-haspopup="menu"]').click();
    await expect(page.getByRole('menu')).toBeVisible();
    await page.screenshot({ path: out(`presence-menu-${locale}-${theme}`) });
    await page.getByRole('menuitemradio').nth(2).click(); // away: the first reason
    await expect(page.getByTestId('presence')).toHaveAttribute('data-presence', 'away');

    const ctx = await browser.newContext();
    const manager = await ctx.newPage();
    try {
      await look(manager, locale, theme);
      await manager.setViewportSize({ width: 1280, height: 760 });
      await loginAs(manager, stack.info, 'manager');
      await manager.goto('/monitor');
      const row = manager.getByTestId('monitor-agents').locator(`tr[data-agent="${stack.info.agent.login}"]`);
      await expect(row).toHaveAttribute('data-state', 'away', { timeout: 15_000 });
      await manager.screenshot({ path: out(`monitor-away-${locale}-${theme}`) });
    } finally {
      await ctx.close();
    }
    await page.locator('.presence-menu button[aria-haspopup="menu"]').click();
    await page.getByRole('menuitemradio').first().click();
  });

  test(`the channel declare dialog, ${locale}, ${theme}`, async ({ page, stack }) => {
    await look(page, locale, theme);
    await page.setViewportSize({ width: 1280, height: 760 });
    await loginAs(page, stack.info, 'platform_admin');
    await page.goto('/channels');
    await page.getByRole('button', { name: locale === 'en' ? 'Declare a channel' : 'Déclarer un canal' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await page.screenshot({ path: out(`channel-declare-${locale}-${theme}`) });
  });

  test(`the box's one-port screen, ${locale}, ${theme}`, async ({ page, stack }) => {
    await page.setViewportSize({ width: 1280, height: 1000 });
    await boxLogin(page, stack);
    await page.evaluate(([l, t]) => {
      localStorage.setItem('smsgate.locale', l ?? 'en');
      localStorage.setItem('smsgate.theme', t ?? 'light');
    }, [locale, theme]);
    try {
      await page.goto(boxUrl(stack, '/ports/0'));
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await expect(page.getByRole('region', { name: locale === 'en' ? 'AT log of port 0' : 'Journal AT du port 0' })
        .locator('tr[data-seq]').first()).toBeVisible();
      await page.screenshot({ path: out(`box-port-${locale}-${theme}`), fullPage: true });
    } finally {
      await page.evaluate(() => {
        localStorage.setItem('smsgate.locale', 'en');
        localStorage.setItem('smsgate.theme', 'system');
      });
    }
  });
}

test('the notification log on a phone: the table scrolls in its own focusable region', async ({ page, stack }) => {
  await look(page, 'en', 'dark');
  await page.setViewportSize({ width: 375, height: 740 });
  await loginAs(page, stack.info, 'tenant_admin');
  await page.goto('/notifications/log');
  await expect(page.getByRole('region').first()).toBeVisible();
  await page.getByRole('region').first().focus();
  await page.screenshot({ path: out('notifications-log-phone-dark') });
});
