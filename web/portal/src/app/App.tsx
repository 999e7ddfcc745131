/** The root: login screen or the shell, depending on the session. */
import { SessionGate } from '@smsgate/shared/components/SessionGate';
import type { JSX } from 'preact';
import { Login } from '../screens/login/Login';
import { shell } from './messages';
import { loadSession, me } from './session';
import { Shell } from './Shell';

export function App(): JSX.Element {
  return <SessionGate load={loadSession} session={me} loadFailed={() => shell.t('loadFailed')} login={Login} shell={Shell} />;
}
