/** The root: the login screen or the shell, depending on the session. */
import { Button } from '@smsgate/shared/components/Button';
import { Toasts } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Login } from '../screens/login/Login';
import { app } from './messages';
import { loadSession, me } from './session';
import { Shell } from './Shell';

export function App(): JSX.Element {
  const [failed, setFailed] = useState(false);
  const start = () => {
    setFailed(false);
    loadSession().catch(() => setFailed(true));
  };
  useEffect(start, []);
  const m = me.value;
  let body: JSX.Element;
  if (failed) {
    body = (
      <main class="center-screen">
        <p role="alert">{app.t('loadFailed')}</p>
        <Button onClick={start}>{common.t('actions.retry')}</Button>
      </main>
    );
  } else if (m === undefined) {
    body = (
      <main class="center-screen" aria-busy="true">
        <span class="spinner" aria-hidden="true" />
        <span class="visually-hidden">{common.t('state.loading')}</span>
      </main>
    );
  } else if (m === null) {
    body = <Login />;
  } else {
    body = <Shell />;
  }
  return (
    <>
      {body}
      <Toasts />
    </>
  );
}
