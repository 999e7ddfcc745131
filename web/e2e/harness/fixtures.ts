/**
 * The test API for browser tests of smsgate front ends:
 * - `stack`: the running processes (`info` = demo.json: URLs, logins, SIM numbers);
 * - `page`: fails the test on a CSP violation or an uncaught page error;
 * - `loginAs(page, 'agent')` logs in through the login form;
 * - `hub(stack, 'tenant_admin')` a small authenticated API client for setup and checks;
 * - `inject(stack, { from, to, text })` a handset writes to a simulated modem;
 * - `expectAccessible(page, label)` axe-core, no serious or critical violation.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { apiLogin, loadStack, type DemoInfo, type Stack } from './stack.ts';

export { expect } from '@playwright/test';
export { expectAccessible } from './axe.ts';

export type Who = 'platform_admin' | 'reseller_admin' | 'tenant_admin' | 'manager' | 'agent';

interface Fixtures {
  stack: Stack;
  pageErrors: string[];
}

export const test = base.extend<Fixtures, { workerStack: Stack }>({
  workerStack: [async ({}, use) => use(loadStack()), { scope: 'worker' }],
  stack: async ({ workerStack }, use) => use(workerStack),
  baseURL: async ({ workerStack }, use) => use(workerStack.info.hub_api),
  pageErrors: [async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      const text = m.text();
      if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(text)) errors.push(`CSP: ${text}`);
    });
    await use(errors);
    expect(errors, 'no CSP violation or uncaught error in the page').toEqual([]);
  }, { auto: true }],
});

/** Logs in through the form as a demo user and waits for the shell. */
export async function loginAs(page: Page, info: DemoInfo, who: Who): Promise<void> {
  await loginWith(page, info[who]);
}

/** Logs in through the form with any login. */
export async function loginWith(page: Page, l: { login: string; password: string }): Promise<void> {
  await page.goto('/');
  await page.getByLabel(/^(Username|Nom d'utilisateur)$/).fill(l.login);
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(l.password);
  await page.getByRole('button', { name: /^(Log in|Se connecter)$/ }).click();
  await expect(page.getByRole('button', { name: /^(Account menu for|Menu du compte de) / })).toBeVisible();
}

export interface HubClient {
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  put<T = unknown>(path: string, body?: unknown): Promise<T>;
  /** The items of a list endpoint (its first page, at most 500). */
  list<T = unknown>(path: string): Promise<T[]>;
}

/** An API client logged in as one of the demo users. */
export async function hub(stack: Stack, who: Who): Promise<HubClient> {
  const token = await apiLogin(stack.info.hub_api, stack.info[who]);
  const req = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${stack.info.hub_api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    get: (p) => req('GET', p),
    post: (p, b) => req('POST', p, b),
    put: (p, b) => req('PUT', p, b),
    list: async <T>(p: string) => (await req<{ items: T[] }>('GET', `${p}${p.includes('?') ? '&' : '?'}limit=500`)).items,
  };
}

/** A handset sends an SMS to one of the simulated modems (as `smsgate sim ctl inject`). */
export async function inject(stack: Stack, msg: { from: string; to: string; text: string }): Promise<void> {
  const r = await fetch(`${stack.info.sim_control}/api/inject`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(msg) });
  if (!r.ok) throw new Error(`inject: HTTP ${r.status} ${await r.text()}`);
}

/** What a handset received. */
export async function handset(stack: Stack, number: string): Promise<Array<{ text: string }>> {
  const r = await fetch(`${stack.info.sim_control}/api/handsets/${encodeURIComponent(number)}`);
  return r.ok ? ((await r.json()) as Array<{ text: string }>) : [];
}

/** A fresh phone number per test, so tests never share a conversation. */
let seq = 0;
export function customer(): string {
  seq += 1;
  return `+4477009${String(process.pid % 1000).padStart(3, '0')}${String(seq).padStart(2, '0')}`;
}
