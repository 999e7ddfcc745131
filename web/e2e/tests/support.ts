/**
 * Checks every administration screen gets: axe-clean in light and dark, in English and French,
 * and usable at a phone's 375 px (no page-wide horizontal scroll; tables scroll inside their box).
 */
import type { Page } from '@playwright/test';
import { expect, expectAccessible } from '../harness/fixtures.ts';

async function prefer(page: Page, locale: 'en' | 'fr', theme: 'light' | 'dark'): Promise<void> {
  await page.evaluate(([l, th]) => {
    localStorage.setItem('smsgate.locale', l ?? 'en');
    localStorage.setItem('smsgate.theme', th ?? 'light');
  }, [locale, theme]);
}

/**
 * The screen at the current URL, whose level-1 heading is `en` / `fr`: axe in light English,
 * then dark French (reloaded), then at phone width; left in light English at desktop width.
 */
export async function checkScreen(page: Page, label: string, heading: { en: string; fr: string }): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: heading.en })).toBeVisible();
  await expectAccessible(page, `${label} (light)`);
  await prefer(page, 'fr', 'dark');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: heading.fr })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expectAccessible(page, `${label} (French, dark)`);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 740 });
  await expect(page.getByRole('heading', { level: 1, name: heading.fr })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${label}: no page-wide horizontal scroll at 375 px`).toBeLessThanOrEqual(0);
  await expectAccessible(page, `${label} (phone)`);
  await prefer(page, 'en', 'light');
  if (size) await page.setViewportSize(size);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: heading.en })).toBeVisible();
}

/** Goes to a screen through the side menu (opening it on a phone). */
export async function openFromMenu(page: Page, entry: string): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Main menu' });
  if (!(await nav.isVisible())) await page.getByRole('button', { name: 'Show or hide the side menu' }).click();
  await nav.getByRole('link', { name: entry, exact: true }).click();
}
