/**
 * The technician's session: the gateway's HttpOnly, SameSite=Strict cookie (set at login); no
 * token is kept in JavaScript-readable storage. `me` is `undefined` while loading, `null` when
 * logged out.
 */
import { signal } from '@preact/signals';
import { api, call, onUnauthorized, type Me } from '../api/box';

export const me = signal<Me | null | undefined>(undefined);
/** Whether a local admin account is set on this box (else the login screen says how). */
export const accountSet = signal(true);
/** Set when the gateway ended the session (shown on the login screen). */
export const sessionEnded = signal(false);

export async function loadSession(): Promise<void> {
  try {
    me.value = await call(api.GET('/api/v1/auth/me'));
  } catch (e) {
    me.value = null;
    try {
      accountSet.value = (await call(api.GET('/api/v1/auth/state'))).account;
    } catch {
      // shown as set; the login answer will say more
    }
    if (!(e instanceof Error && 'kind' in e && (e as { kind: string }).kind === 'unauthorized')) throw e;
  }
}

export async function login(loginName: string, password: string): Promise<void> {
  me.value = await call(api.POST('/api/v1/auth/login', { body: { login: loginName, password } }));
  sessionEnded.value = false;
}

export async function logout(): Promise<void> {
  try {
    await call(api.POST('/api/v1/auth/logout'));
  } catch {
    // the session may already be gone
  }
  me.value = null;
}

onUnauthorized(() => {
  if (me.value) {
    me.value = null;
    sessionEnded.value = true;
  }
});
