import { Button } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../../api/box';
import { Tools } from '../../app/Tools';
import { app } from '../../app/messages';
import { accountSet, login, sessionEnded } from '../../app/session';

function secondsIn(message: string): string {
  return /(\d+)\s*s\b/.exec(message)?.[1] ?? '?';
}

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
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(app.t('login.throttled', { seconds: secondsIn(err.message) }));
      else if (err instanceof ApiError && err.kind === 'unauthorized') setError(app.t('login.failed'));
      else if (err instanceof ApiError && err.kind === 'network') setError(common.t('errors.network'));
      else setError(String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login-screen">
      <div class="login-tools">
        <Tools />
      </div>
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <img src="/icon.svg" alt="" width={56} height={56} />
        <h1 id="login-title">{app.t('login.title')}</h1>
        <p class="muted">{app.t('login.subtitle')}</p>
        {sessionEnded.value ? <p class="notice" role="status">{app.t('login.ended')}</p> : null}
        {!accountSet.value ? <p class="notice" role="status">{app.t('login.noAccount')}</p> : null}
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        <TextField label={app.t('login.login')} name="login" autoComplete="username" autoCapitalize="none" spellcheck={false} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <TextField label={app.t('login.password')} name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <Button type="submit" variant="primary" busy={busy} class="btn-block">{app.t('login.submit')}</Button>
      </form>
    </main>
  );
}
