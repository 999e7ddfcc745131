/** Language and theme switches (login screen and header). */
import { Icon } from '@smsgate/shared/components/Icon';
import { Menu } from '@smsgate/shared/components/Menu';
import { common } from '@smsgate/shared/i18n/common';
import { LOCALES, locale, setLocale } from '@smsgate/shared/i18n/core';
import { setTheme, theme } from '@smsgate/shared/theme';
import type { JSX } from 'preact';
import { app } from './messages';

export function Tools(): JSX.Element {
  const dark = theme.value === 'dark';
  return (
    <>
      <Menu
        label={app.t('header.language')}
        button={<><Icon name="globe" /><span>{LOCALES.find((l) => l.code === locale.value)?.name}</span></>}
        items={LOCALES.map((l) => ({ id: l.code, label: l.name, checked: l.code === locale.value, onSelect: () => setLocale(l.code) }))}
      />
      <button type="button" class="icon-btn" aria-label={dark ? common.t('theme.light') : common.t('theme.dark')} title={app.t('header.theme')} onClick={() => setTheme(dark ? 'light' : 'dark')}>
        <Icon name={dark ? 'sun' : 'moon'} />
      </button>
    </>
  );
}
