/**
 * Portal benchmarks, each side by side with a baseline measured in the same run (results in
 * docs/benchmarks.md):
 * 1. first screen interactive with a cold cache (a fresh browser context each time) vs. the same
 *    browser rendering a blank static page;
 * 2. an inbound SMS injected at the simulated modem until it shows in an open inbox vs. until the
 *    hub's own API lists it (polled every 20 ms);
 * 3. the inbox with 10,000 live conversations vs. 100: load to the first rows and to every row
 *    (the portal follows the hub's cursor, 500 a page), filter, and the longest frame while
 *    scrolling to the end. The list endpoint is replaced by synthetic pages honouring `limit`,
 *    `cursor`, `live` and `status` (the real UI code; the hub's list endpoint is not under test
 *    here).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { customer, expect, hub, inject, loginAs, test } from '../harness/fixtures.ts';
import { REPO } from '../harness/stack.ts';

const RUNS = Number(process.env.SMSGATE_BENCH_RUNS ?? 10);
const results: Record<string, unknown> = {};

function stats(xs: number[]): { median: number; p95: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { median: Math.round(at(0.5)), p95: Math.round(at(0.95)), min: Math.round(s[0] ?? 0), max: Math.round(s[s.length - 1] ?? 0) };
}

test.afterAll(() => {
  const file = join(REPO, 'target/portal-bench.json');
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
});

test('first screen interactive, cold cache', async ({ browser, stack }) => {
  const portal: number[] = [];
  const blank: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({ baseURL: stack.info.hub_api, serviceWorkers: 'block' });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto('/');
    await expect(page.getByRole('button', { name: 'Log in' })).toBeEnabled();
    portal.push(Date.now() - t0);
    const t1 = Date.now();
    await page.goto('data:text/html,<button>ready</button>');
    await expect(page.getByRole('button', { name: 'ready' })).toBeEnabled();
    blank.push(Date.now() - t1);
    await ctx.close();
  }
  results.firstScreenMs = { portal: stats(portal), baselineBlankPage: stats(blank), runs: RUNS };
});

test('inbound SMS to the open inbox', async ({ page, stack }) => {
  const admin = await hub(stack, 'tenant_admin');
  await loginAs(page, stack.info, 'agent');
  await expect(page.locator('[data-live="open"]')).toBeAttached();
  const screen: number[] = [];
  const api: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const from = customer();
    const t0 = Date.now();
    await inject(stack, { from, to: stack.info.sim_numbers[i % 4] ?? '', text: `bench ${i}` });
    const apiSeen = (async () => {
      for (;;) {
        const list = await admin.list<{ contact_number: string }>('/api/v1/interactions?status=waiting');
        if (list.some((x) => x.contact_number === from)) return Date.now() - t0;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await page.locator('.conv-row', { hasText: from }).waitFor({ timeout: 30_000 });
    screen.push(Date.now() - t0);
    api.push(await apiSeen);
  }
  results.inboundToScreenMs = { browser: stats(screen), baselineHubApi: stats(api), runs: RUNS };
});

function synthetic(n: number, org: string, channel: string) {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    org_id: org,
    channel_id: channel,
    contact_number: `+44770${String(1_000_000 + i)}`,
    status: (['waiting', 'open', 'paused'] as const)[i % 3] as string,
    read: i % 2 === 0,
    queue_id: null,
    assignee_id: null,
    created_at: new Date(now - i * 60_000).toISOString(),
    updated_at: new Date(now - i * 60_000).toISOString(),
  }));
}

/** The hub's list endpoint over synthetic rows: newest first, `limit` (at most 500), `cursor` (an offset), `live`/`status`. */
function pagedList(rows: ReturnType<typeof synthetic>) {
  return (url: URL) => {
    const p = url.searchParams;
    const live = p.get('live');
    const status = p.get('status');
    const kept = rows.filter((r) => (live === null || (r.status !== 'closed') === (live === 'true')) && (status === null || r.status === status));
    const limit = Math.min(500, Math.max(1, Number(p.get('limit') ?? 50)));
    const from = Number(p.get('cursor') ?? 0);
    const items = kept.slice(from, from + limit);
    return { items, next_cursor: from + limit < kept.length ? String(from + limit) : null };
  };
}

const isList = (url: URL) => url.pathname === '/api/v1/interactions';
const watching = new WeakSet<Page>();

async function inboxWith(page: Page, n: number, org: string, channel: string) {
  if (!watching.has(page)) {
    watching.add(page);
    // Records, on every navigation, when the first conversation row is added (ms since navigation start).
    await page.addInitScript(() => {
      const w = window as unknown as { firstRowAt?: number };
      new MutationObserver((_, obs) => {
        if (w.firstRowAt === undefined && document.querySelector('.conv-row')) {
          w.firstRowAt = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
  }
  const answer = pagedList(synthetic(n, org, channel));
  let asked = 0;
  await page.route(isList, (route) => {
    asked += 1;
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(answer(new URL(route.request().url()))) });
  });
  const t0 = Date.now();
  await page.goto('/inbox');
  await page.locator('.conv-row').first().waitFor({ timeout: 60_000 });
  // When the first row entered the DOM, from the page itself (Playwright's polling waits while
  // the main thread handles the later pages).
  const firstRowAt = await page.evaluate(() => (window as unknown as { firstRowAt?: number }).firstRowAt ?? -1);
  const firstRows = firstRowAt >= 0 ? Math.round(firstRowAt) : Date.now() - t0;
  await expect(page.locator('.conv-count')).toHaveText(`${n.toLocaleString('en')} conversations`, { timeout: 60_000 });
  const load = Date.now() - t0;
  const t1 = Date.now();
  await page.getByTestId('conv-search').fill('7701000099');
  await expect(page.locator('.conv-count')).not.toHaveText(`${n.toLocaleString('en')} conversations`);
  const filter = Date.now() - t1;
  await page.getByTestId('conv-search').fill('');
  await expect(page.locator('.conv-count')).toHaveText(`${n.toLocaleString('en')} conversations`);
  const scroll = await page.evaluate(async () => {
    const el = document.querySelector<HTMLElement>('[data-testid="conv-scroll"]');
    if (!el) return { longestFrameMs: -1, frames: 0, framesOver50ms: 0, firstSlow: [] as number[] };
    let longest = 0;
    let frames = 0;
    const slow: number[] = [];
    let last = performance.now();
    const step = el.clientHeight;
    while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
      el.scrollTop += step;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      longest = Math.max(longest, now - last);
      if (now - last > 50) slow.push(frames);
      last = now;
      frames += 1;
    }
    return { longestFrameMs: Math.round(longest), frames, framesOver50ms: slow.length, firstSlow: slow.slice(0, 5) };
  });
  const rendered = await page.locator('.conv-row').count();
  await page.unroute(isList);
  return { firstRowsMs: firstRows, allLoadedMs: load, pagesAsked: asked, filterMs: filter, ...scroll, rowsInDom: rendered };
}

test('the inbox with 10,000 conversations', async ({ page, stack }) => {
  await loginAs(page, stack.info, 'tenant_admin');
  const admin = await hub(stack, 'tenant_admin');
  const me = await admin.get<{ org: { id: string } }>('/api/v1/me');
  const channels = await admin.list<{ id: string }>('/api/v1/channels');
  // A warm-up visit (not reported): the first navigation pays for a cold cache and compilation.
  await inboxWith(page, 100, me.org.id, channels[0]?.id ?? '');
  const big = await inboxWith(page, 10_000, me.org.id, channels[0]?.id ?? '');
  const small = await inboxWith(page, 100, me.org.id, channels[0]?.id ?? '');
  results.inbox10k = { tenThousand: big, baselineHundred: small };
});
