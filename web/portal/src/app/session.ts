/**
 * The logged-in user and the tenant context.
 *
 * - `me` is `undefined` while loading, `null` when logged out.
 * - The session is the hub's HttpOnly cookie (SameSite=Strict, set at login): no token is kept
 *   in JavaScript-readable storage.
 * - `tenant` is the context of every page: `null` means "every tenant of my subtree" (resellers
 *   and the platform), otherwise one tenant id. End customers have exactly their own tenant.
 */
import { computed, signal } from '@preact/signals';
import { api, call, onUnauthorized, type Me, type Org } from '../api/hub';
import { capabilities, seesManyTenants, type Capability } from './roles';

export const me = signal<Me | null | undefined>(undefined);
export const tenants = signal<Org[]>([]);
export const tenant = signal<string | null>(null);
/** Set when the hub ended the session (shown on the login screen). */
export const sessionEnded = signal(false);

export const caps = computed<ReadonlySet<Capability>>(() => {
  const m = me.value;
  return m ? capabilities(m.role, m.org.kind) : new Set();
});

export function can(c: Capability): boolean {
  return caps.value.has(c);
}

const tenantKey = (userId: string) => `smsgate.tenant.${userId}`;

/** Whether an organisation id is inside the current tenant context. */
export function inContext(orgId: string): boolean {
  const t = tenant.value;
  return t === null || t === orgId;
}

export function selectTenant(id: string | null): void {
  tenant.value = id;
  const u = me.value?.user;
  if (u) {
    try {
      if (id) localStorage.setItem(tenantKey(u.id), id);
      else localStorage.removeItem(tenantKey(u.id));
    } catch {
      // not remembered
    }
  }
}

async function loadTenants(m: Me): Promise<void> {
  if (m.org.kind === 'tenant') {
    tenants.value = [m.org];
    tenant.value = m.org.id;
    return;
  }
  const list = (await call(api.GET('/api/v1/tenants', { params: { query: { limit: 500 } } }))).items;
  tenants.value = [...list].sort((a, b) => a.name.localeCompare(b.name));
  let saved: string | null = null;
  try {
    saved = m.user ? localStorage.getItem(tenantKey(m.user.id)) : null;
  } catch {
    saved = null;
  }
  tenant.value = saved && list.some((t) => t.id === saved) ? saved : null;
}

/** Reads the current session (on start and after login). */
export async function loadSession(): Promise<void> {
  try {
    const m = await call(api.GET('/api/v1/me'));
    await loadTenants(m);
    me.value = m;
  } catch (e) {
    me.value = null;
    if (!(e instanceof Error && 'kind' in e && (e as { kind: string }).kind === 'unauthorized')) throw e;
  }
}

export async function login(loginName: string, password: string): Promise<void> {
  await call(api.POST('/api/v1/auth/login', { body: { login: loginName, password } }));
  sessionEnded.value = false;
  await loadSession();
}

/**
 * Logs out. Users who may manage users end every session of their account ("disconnected
 * everywhere", as the seed describes); the hub has no self-service "all sessions" call for the
 * other roles yet, so for them only this session ends.
 */
export async function logout(): Promise<{ everywhere: boolean }> {
  const m = me.value;
  let everywhere = false;
  if (m?.user && can('manageUsers')) {
    try {
      await call(api.POST('/api/v1/users/{id}/disconnect', { params: { path: { id: m.user.id } } }));
      everywhere = true;
    } catch {
      // fall back to this session only
    }
  }
  if (!everywhere) {
    try {
      await call(api.POST('/api/v1/auth/logout'));
    } catch {
      // the session may already be gone
    }
  }
  me.value = null;
  tenants.value = [];
  tenant.value = null;
  return { everywhere };
}

onUnauthorized(() => {
  if (me.value) {
    me.value = null;
    sessionEnded.value = true;
  }
});

export function showsTenantPicker(): boolean {
  const m = me.value;
  return !!m && seesManyTenants(m.role);
}
