import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, expectAccessible, loginAs, test } from '../harness/fixtures.ts';

test.describe('reports', () => {
  test('a tenant admin exports a report as XLSX and CSV', async ({ page, stack }) => {
    await loginAs(page, stack.info, 'tenant_admin');
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Reports' }).click();
    await expect(page.getByRole('heading', { name: 'Reports', level: 1 })).toBeVisible();
    // Earlier specs' traffic is in the last 7 days: the figures and the chart show it.
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    const totals = page.getByTestId('report-totals');
    await expect(totals.locator('[data-figure="received"] .stat-value')).not.toHaveText('0');
    await expect(page.getByRole('img', { name: 'Messages received and sent per day' })).toBeVisible();
    await expectAccessible(page, 'reports');

    // A custom period with the days the wrong way round is refused, naming the field.
    await page.getByLabel('From').fill('2024-03-10');
    await page.getByLabel('To (inclusive)').fill('2024-03-01');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect(page.getByText('The last day comes before the first.')).toBeVisible();
    await page.getByRole('button', { name: 'Today' }).click();
    await expect(page.getByRole('button', { name: 'Today' })).toHaveAttribute('aria-pressed', 'true');

    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export XLSX' }).click()]);
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
    const path = await xlsx.path();
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 2).toString()).toBe('PK'); // a zip container…
    const entries = execFileSync('python3', ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print("\\n".join(z.namelist())); print(z.read("xl/workbook.xml").decode())', path]).toString();
    expect(entries).toContain('[Content_Types].xml'); // …that is a workbook, with its sheets
    expect(entries).toContain('xl/worksheets/sheet1.xml');
    expect(entries).toMatch(/<sheet [^>]*name="[^"]+"/);

    await page.getByLabel('CSV table').selectOption('failures');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    expect(readFileSync(await csv.path()).toString().split(/\r?\n/)[0]?.toLowerCase()).toContain('reason');
  });

  test('reports in French, dark, 375 px wide', async ({ page, stack }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.addInitScript(() => {
      localStorage.setItem('smsgate.locale', 'fr');
      localStorage.setItem('smsgate.theme', 'dark');
    });
    await loginAs(page, stack.info, 'tenant_admin');
    await page.goto('/reports');
    await expect(page.getByRole('heading', { name: 'Rapports', level: 1 })).toBeVisible();
    await expect(page.getByTestId('report-totals')).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expectAccessible(page, 'reports in French, dark, on a phone');
  });
});
