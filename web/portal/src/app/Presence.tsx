/**
 * The header's presence menu: the agent says whether they are available, away (with an
 * optional reason) or offline. Away and offline get no new conversation; open ones stay
 * theirs (the hub decides: `PUT /api/v1/floor/me`). Shown to the people of a tenant.
 */
import { Menu, type MenuEntry } from '@smsgate/shared/components/Menu';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { signal } from '@preact/signals';
import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { api, ApiError, call, type Schemas } from '../api/hub';
import { presenceText as t } from './presenceMessages';
import { me } from './session';

type Chosen = Schemas['ChosenStatus'];
type Reason = Schemas['AwayReason'];
const REASONS: readonly Reason[] = ['break', 'lunch', 'training', 'meeting'];

/** The caller's chosen presence as the hub last answered. */
export const myPresence = signal<{ status: Chosen; reason: Reason | null } | null>(null);

export function presenceLabel(status: Chosen, reason: Reason | null | undefined): string {
  if (status === 'away') return reason ? t.t('awayFor', { reason: t.t(`reason.${reason}`) }) : t.t('away');
  return status === 'offline' ? t.t('offline') : t.t('available');
}

/** Who has a presence: the people of a tenant (agents, managers, tenant admins). */
export function hasPresence(role: string | undefined): boolean {
  return role === 'agent' || role === 'manager' || role === 'tenant_admin';
}

async function choose(status: Chosen, reason: Reason | null): Promise<void> {
  try {
    const v = await call(api.PUT('/api/v1/floor/me', { body: { status, reason } }));
    myPresence.value = { status: v.status, reason: v.reason ?? null };
    toast(t.t('changed', { state: presenceLabel(v.status, v.reason) }), 'success');
  } catch (e) {
    toast(e instanceof ApiError ? e.message : common.t('errors.network'), 'error');
  }
}

export function PresenceMenu(): JSX.Element | null {
  const m = me.value;
  const show = !!m?.user && hasPresence(m.role);
  useEffect(() => {
    if (!show) return;
    call(api.GET('/api/v1/floor/me', {}))
      .then((v) => (myPresence.value = { status: v.status, reason: v.reason ?? null }))
      .catch(() => {});
  }, [show, m?.user?.id]);
  if (!show) return null;
  const p = myPresence.value ?? { status: 'available' as const, reason: null };
  const is = (status: Chosen, reason: Reason | null) => p.status === status && p.reason === reason;
  const items: MenuEntry[] = [
    { heading: t.t('heading'), id: 'h-presence' },
    { id: 'presence-available', label: t.t('available'), checked: is('available', null), onSelect: () => void choose('available', null) },
    { id: 'presence-away', label: t.t('away'), checked: is('away', null), onSelect: () => void choose('away', null) },
    ...REASONS.map((r) => ({
      id: `presence-away-${r}`,
      label: presenceLabel('away', r),
      checked: is('away', r),
      onSelect: () => void choose('away', r),
    })),
    { id: 'presence-offline', label: t.t('offline'), checked: is('offline', null), onSelect: () => void choose('offline', null) },
  ];
  const label = presenceLabel(p.status, p.reason);
  return (
    <Menu
      class="presence-menu"
      label={t.t('menu', { state: label })}
      button={
        <span class="presence" data-presence={p.status} data-testid="presence">
          <span class={`presence-dot presence-${p.status}`} aria-hidden="true" />
          <span class="presence-label">{label}</span>
        </span>
      }
      items={items}
    />
  );
}
