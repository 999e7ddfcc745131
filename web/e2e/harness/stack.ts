/**
 * Real smsgate processes for browser tests: `smsgate demo init` writes a deployment (4 simulated
 * modems, hub, gateway, seeded tenant and logins) on free ports in a temp dir, then the simulator,
 * the hub and the gateway run as three separate processes, exactly as in production.
 *
 * Used once per test run by `global-setup.ts` (the box UI's tests can call `startStack` too).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '../../..');

/** `demo.json`, as `smsgate demo init` prints it. */
export interface DemoInfo {
  hub_api: string;
  gateway_api: string;
  gateway_api_token: string;
  /** The box UI, served by the gateway (login `box_admin`). */
  box_ui: string;
  box_admin: Login;
  sim_control: string;
  hub_config: string;
  gateway_config: string;
  sim_config: string;
  platform_admin: Login;
  reseller_admin: Login;
  tenant_admin: Login;
  manager: Login;
  agent: Login;
  api_key: string;
  gateway_id: string;
  sim_numbers: string[];
  queue: string;
}

export interface Login {
  login: string;
  password: string;
}

export interface Stack {
  /** The temp dir holding configs, databases and the processes' logs. */
  dir: string;
  info: DemoInfo;
  /** Process ids (for teardown from another process). */
  pids: number[];
}

/** The smsgate binary: `SMSGATE_BIN`, else the workspace's debug build. */
export function smsgateBinary(): string {
  const bin = process.env.SMSGATE_BIN ?? join(REPO, 'target/debug/smsgate');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: build it (cargo build --bin smsgate) or set SMSGATE_BIN`);
  return bin;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });
}

/** A base port with the next three also free (the demo uses four). */
export async function freePortBase(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const all = await Promise.all([0, 1, 2, 3].map((k) => portFree(base + k)));
    if (all.every(Boolean)) return base;
  }
  throw new Error('no four free consecutive ports');
}

/** Polls `check` every 100 ms until it returns a value or `ms` pass. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined | false | null>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(name: string, bin: string, args: string[], dir: string): ChildProcess {
  const log = createWriteStream(join(dir, `${name}.log`));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' } });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') log.write(`\n[harness] ${name} exited: code ${code} signal ${signal}\n`);
  });
  return child;
}

const ok = async (url: string) => (await fetch(url).catch(() => undefined))?.ok === true;

/** Starts simulator, hub and gateway; resolves when the gateway's modems are linked to the hub. */
export async function startStack(): Promise<Stack> {
  const bin = smsgateBinary();
  const dir = mkdtempSync(join(tmpdir(), 'smsgate-e2e-'));
  const base = await freePortBase();
  const data = join(dir, 'demo');
  const out = execFileSync(bin, ['demo', 'init', '--port-base', String(base), '--data', data], { encoding: 'utf8' });
  const info = JSON.parse(out) as DemoInfo;
  const procs: ChildProcess[] = [];
  try {
    procs.push(start('sim', bin, ['sim', '--config', info.sim_config, '--control', info.sim_control.replace('http://', '')], dir));
    await waitFor('the simulator', 30_000, () => ok(`${info.sim_control}/api/modems`));
    procs.push(start('hub', bin, ['hub', '--config', info.hub_config], dir));
    await waitFor('the hub', 30_000, () => ok(`${info.hub_api}/api/v1/openapi.json`));
    procs.push(start('gateway', bin, ['gateway', '--config', info.gateway_config], dir));
    await waitFor('the gateway', 30_000, () => ok(`${info.gateway_api}/health`));
    // The hub knows the gateway is online once its link is up.
    const token = await apiLogin(info.hub_api, info.platform_admin);
    await waitFor('the gateway online at the hub', 60_000, async () => {
      const r = await fetch(`${info.hub_api}/api/v1/gateways`, { headers: { authorization: `Bearer ${token}` } });
      // A page (`{items}`) since the hub pages its lists; a bare array before.
      const body = (await r.json()) as Array<{ online: boolean }> | { items: Array<{ online: boolean }> };
      const list = Array.isArray(body) ? body : body.items;
      return list.some((g) => g.online);
    });
  } catch (e) {
    for (const p of procs) p.kill('SIGTERM');
    throw new Error(`${String(e)}\nlogs in ${dir}`);
  }
  return { dir, info, pids: procs.map((p) => p.pid ?? 0).filter(Boolean) };
}

/** Stops the processes (gateway first) and removes the temp dir unless `keep`. */
export async function stopStack(stack: Stack, keep = false): Promise<void> {
  for (const pid of [...stack.pids].reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await waitFor(`process ${pid} to stop`, 15_000, async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }).catch(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    });
  }
  // A gateway restarted by a test (restartGateway) runs under a pid written here.
  const restarted = join(stack.dir, 'restarted-gateway.pid');
  if (existsSync(restarted)) {
    const pid = Number(readFileSync(restarted, 'utf8'));
    await stopPid(pid);
  }
  if (!keep) rmSync(stack.dir, { recursive: true, force: true });
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await waitFor(`process ${pid} to stop`, 15_000, async () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }).catch(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  });
}

/**
 * Stops the gateway (SIGTERM, drained) and starts it again with the same config, as a box
 * reboot would; resolves when its API answers and its modems are back. The new process is
 * stopped by the teardown (its pid is kept in the stack's dir).
 */
export async function restartGateway(stack: Stack): Promise<void> {
  const restarted = join(stack.dir, 'restarted-gateway.pid');
  const current = existsSync(restarted) ? Number(readFileSync(restarted, 'utf8')) : stack.pids[stack.pids.length - 1];
  if (current) await stopPid(current);
  // Its output goes straight to a file: it outlives the test worker that started it.
  const log = openSync(join(stack.dir, 'gateway-restarted.log'), 'a');
  const child = spawn(smsgateBinary(), ['gateway', '--config', stack.info.gateway_config], {
    stdio: ['ignore', log, log],
    detached: true,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  child.unref();
  closeSync(log);
  writeFileSync(restarted, String(child.pid ?? 0));
  const { info } = stack;
  await waitFor('the restarted gateway', 30_000, () => ok(`${info.gateway_api}/health`));
  await waitFor('the restarted gateway\'s modems', 60_000, async () => {
    const r = await fetch(`${info.gateway_api}/api/v1/ports`, { headers: { authorization: `Bearer ${info.gateway_api_token}` } });
    const body = (await r.json()) as { ports: Array<{ state: string }> };
    return body.ports.length > 0 && body.ports.every((p) => p.state === 'registered');
  });
}

export function saveStack(stack: Stack, file: string): void {
  writeFileSync(file, JSON.stringify(stack));
}

export function loadStack(file: string = process.env.SMSGATE_E2E_STACK ?? ''): Stack {
  if (!file || !existsSync(file)) throw new Error('no running stack: run the tests through playwright (global setup starts it)');
  return JSON.parse(readFileSync(file, 'utf8')) as Stack;
}

/** A session token for API calls made by the test itself (setup, injections, checks). */
export async function apiLogin(hub: string, who: Login): Promise<string> {
  const r = await fetch(`${hub}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
  if (!r.ok) throw new Error(`login ${who.login}: HTTP ${r.status}`);
  return ((await r.json()) as { token: string }).token;
}
