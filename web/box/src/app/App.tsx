/** The root: the login screen or the shell, depending on the session. */
import { SessionGate } from '@smsgate/shared/components/SessionGate';
import type { JSX } from 'preact';
import { Login } from '../screens/login/Login';
import { app } from './messages';
import { loadSession, me } from './session';
import { Shell } from './Shell';

export function App(): JSX.Element {
  return <SessionGate load={loadSession} session={me} loadFailed={() => app.t('loadFailed')} login={Login} shell={Shell} />;
}
