/**
 * An app's root: while the session loads a spinner, when loading fails the error with a retry,
 * then the login screen (no session) or the app's shell. The toasts sit above whichever shows.
 */
import type { ReadonlySignal } from '@preact/signals';
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { common } from '../i18n/common';
import { Button } from './Button';
import { Toasts } from './Toasts';

export interface SessionGateProps {
  /** Reads the session into `session` (rejects when the server cannot be asked). */
  load: () => Promise<unknown>;
  /** `undefined` while unknown, `null` when nobody is logged in. */
  session: ReadonlySignal<unknown>;
  /** Read at render time, so it follows the language. */
  loadFailed: () => string;
  login: ComponentType;
  shell: ComponentType;
}

export function SessionGate({ load, session, loadFailed, login: Login, shell: Shell }: SessionGateProps): JSX.Element {
  const [failed, setFailed] = useState(false);
  const start = () => {
    setFailed(false);
    load().catch(() => setFailed(true));
  };
  useEffect(start, []);
  const who = session.value;
  let body: JSX.Element;
  if (failed) {
    body = (
      <main class="center-screen">
        <p role="alert">{loadFailed()}</p>
        <Button onClick={start}>{common.t('actions.retry')}</Button>
      </main>
    );
  } else if (who === undefined) {
    body = (
      <main class="center-screen" aria-busy="true">
        <span class="spinner" aria-hidden="true" />
        <span class="visually-hidden">{common.t('state.loading')}</span>
      </main>
    );
  } else if (who === null) {
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
