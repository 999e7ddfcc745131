/**
 * Helpers for the box UI's browser tests: its address, logging in through its form, the
 * gateway's API with the token, the simulator's faults.
 */
import { expect, type Page } from '@playwright/test';
import type { Stack } from './stack.ts';

/** An address in the box UI (served by the gateway). */
export function boxUrl(stack: Stack, path = '/'): string {
  return new URL(path, stack.info.box_ui).toString();
}

/** Logs in through the box's form as the demo technician and waits for the dashboard. */
export async function boxLogin(page: Page, stack: Stack): Promise<void> {
  await page.goto(boxUrl(stack));
  await page.getByLabel('Username').fill(stack.info.box_admin.login);
  await page.getByLabel('Password').fill(stack.info.box_admin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
}

/** The gateway's API with its bearer token (setup and checks). */
export async function gateway<T = unknown>(stack: Stack, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${stack.info.gateway_api}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.info.gateway_api_token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A fault on simulated modem `index` (`{kind: 'unplug'}`, `{kind: 'plug'}`…). */
export async function fault(stack: Stack, index: number, f: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${stack.info.sim_control}/api/modems/${index}/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
  if (!r.ok) throw new Error(`fault ${JSON.stringify(f)} on modem ${index}: HTTP ${r.status} ${await r.text()}`);
}
