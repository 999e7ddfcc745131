import { Button } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import { Menu } from '@smsgate/shared/components/Menu';
import { common } from '@smsgate/shared/i18n/common';
import { LOCALES, locale, setLocale } from '@smsgate/shared/i18n/core';
import { setTheme, theme } from '@smsgate/shared/theme';
import { signal } from '@preact/signals';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../../api/hub';
import { shell } from '../../app/messages';
import { login, sessionEnded } from '../../app/session';
import { Icon } from '@smsgate/shared/components/Icon';

/** A notice for the login screen after a logout ("disconnected everywhere"). */
export const loginNotice = signal<string | null>(null);

export function Login(): JSX.Element {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(name.trim(), password);
      loginNotice.value = null;
    } catch (err) {
      setError(err instanceof ApiError && err.kind === 'unauthorized' ? shell.t('login.failed') : err instanceof ApiError && err.kind === 'network' ? common.t('errors.network') : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  const notice = sessionEnded.value ? shell.t('login.ended') : loginNotice.value;
  return (
    <main class="login-screen">
      <div class="login-tools">
        <Menu
          label={shell.t('header.language')}
          button={<><Icon name="globe" /><span>{LOCALES.find((l) => l.code === locale.value)?.name}</span></>}
          items={LOCALES.map((l) => ({ id: l.code, label: l.name, checked: l.code === locale.value, onSelect: () => setLocale(l.code) }))}
        />
        <button type="button" class="icon-btn" aria-label={theme.value === 'dark' ? common.t('theme.light') : common.t('theme.dark')} title={theme.value === 'dark' ? common.t('theme.light') : common.t('theme.dark')} onClick={() => setTheme(theme.value === 'dark' ? 'light' : 'dark')}>
          <Icon name={theme.value === 'dark' ? 'sun' : 'moon'} />
        </button>
      </div>
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <img src="/icon.svg" alt="" width={56} height={56} />
        <h1 id="login-title">{shell.t('login.title')}</h1>
        <p class="muted">{shell.t('login.subtitle')}</p>
        {notice ? <p class="notice" role="status">{notice}</p> : null}
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        <TextField label={shell.t('login.login')} name="login" autoComplete="username" autoCapitalize="none" spellcheck={false} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <TextField label={shell.t('login.password')} name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <Button type="submit" variant="primary" busy={busy} class="btn-block">{shell.t('login.submit')}</Button>
      </form>
    </main>
  );
}
