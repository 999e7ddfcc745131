import { IconButton } from '@smsgate/shared/components/Button';
import { Icon } from '@smsgate/shared/components/Icon';
import { Menu, type MenuEntry } from '@smsgate/shared/components/Menu';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { LOCALES, locale, setLocale } from '@smsgate/shared/i18n/core';
import { setTheme, themeChoice } from '@smsgate/shared/theme';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { loginNotice } from '../screens/login/Login';
import { ProfileDialog } from '../screens/profile/ProfileDialog';
import { shell } from './messages';
import { PresenceMenu } from './Presence';
import { logout, me, selectTenant, showsTenantPicker, tenant, tenants } from './session';
import { menuOpen } from '@smsgate/shared/components/AppFrame';

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? `${parts[0]?.[0] ?? ''}${parts[parts.length - 1]?.[0] ?? ''}` : (parts[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

function TenantPicker(): JSX.Element {
  const list = tenants.value;
  if (!showsTenantPicker()) {
    return <span class="tenant-name" title={shell.t('header.tenant')}><Icon name="inbox" /> {list[0]?.name ?? me.value?.org.name}</span>;
  }
  return (
    <label class="tenant-picker">
      <span class="visually-hidden">{shell.t('header.tenant')}</span>
      <select class="input" value={tenant.value ?? ''} onChange={(e) => selectTenant(e.currentTarget.value || null)} data-testid="tenant-picker">
        <option value="">{shell.t('header.allTenants')}</option>
        {list.map((t) => (
          <option key={t.id} value={t.id}>{t.name}</option>
        ))}
      </select>
    </label>
  );
}

export function Header(): JSX.Element {
  const m = me.value;
  const [profile, setProfile] = useState(false);
  if (!m) return <header class="header" />;
  const name = m.user?.name ?? m.org.name;
  const role = shell.t(`roles.${m.role}`);
  const items: MenuEntry[] = [
    { heading: shell.t('header.display'), id: 'h-display' },
    { id: 'light', label: common.t('theme.light'), icon: 'sun', checked: themeChoice.value === 'light', onSelect: () => setTheme('light') },
    { id: 'dark', label: common.t('theme.dark'), icon: 'moon', checked: themeChoice.value === 'dark', onSelect: () => setTheme('dark') },
    { id: 'system', label: common.t('theme.system'), checked: themeChoice.value === 'system', onSelect: () => setTheme('system') },
    { separator: true, id: 's1' },
    { heading: shell.t('header.language'), id: 'h-lang' },
    ...LOCALES.map((l) => ({ id: `lang-${l.code}`, label: l.name, checked: locale.value === l.code, onSelect: () => setLocale(l.code) })),
    { separator: true, id: 's2' },
    { id: 'profile', label: shell.t('header.profile'), icon: 'user', onSelect: () => setProfile(true) },
    {
      id: 'logout',
      label: shell.t('header.logout'),
      icon: 'logout',
      danger: true,
      onSelect: () => {
        logout()
          .then(({ everywhere }) => {
            loginNotice.value = everywhere ? shell.t('login.loggedOutEverywhere') : shell.t('login.loggedOut');
          })
          .catch(() => toast(common.t('errors.network'), 'error'));
      },
    },
  ];
  return (
    <header class="header">
      <IconButton icon="menu" label={shell.t('header.toggleMenu')} pressed={menuOpen.value} aria-controls="side-menu" onClick={() => (menuOpen.value = !menuOpen.value)} />
      <a href="/" class="brand" aria-label={shell.t('appName')}>
        <img src="/icon.svg" alt="" width={28} height={28} />
        <span class="brand-name">{shell.t('appName')}</span>
      </a>
      <div class="header-tenant"><TenantPicker /></div>
      <div class="header-user">
        <PresenceMenu />
        <div class="who">
          <span class="who-name">{name}</span>
          <span class="who-role">{role}</span>
        </div>
        <Menu label={shell.t('header.userMenu', { name })} button={<span class="avatar" aria-hidden="true">{initials(name)}</span>} items={items} />
      </div>
      {profile ? <ProfileDialog onClose={() => setProfile(false)} /> : null}
    </header>
  );
}
