/**
 * The cloud screen: the link's state and the settings it runs with (never the password), and
 * the hub's provisioning snippet pasted, tested (a trial connection that leaves the running
 * link alone) and applied (saved in the override file; the link restarts with it).
 */
import { Button } from '@smsgate/shared/components/Button';
import { Field } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, call, type Schemas } from '../../api/box';
import { app } from '../../app/messages';
import { cloudStateWords } from '../dashboard/messages';
import { problemWords, sortedProblems, stepWords } from './cloud';
import { cloudMsg } from './messages';

export { cloudMsg } from './messages';

type Screen = Schemas['CloudScreen'];
type Test = Schemas['CloudTest'];
type Problem = { field?: string; line?: number; message: string };

export function Cloud(): JSX.Element {
  const [d, setD] = useState<Screen | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [snippet, setSnippet] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [failure, setFailure] = useState<string | undefined>();
  const [test, setTest] = useState<Test | undefined>();
  const [busy, setBusy] = useState<'test' | 'apply' | undefined>();

  const load = () =>
    call(api.GET('/api/v1/box/cloud'))
      .then((v) => (setD(v), setLoadError(undefined)))
      .catch((e: Error) => setLoadError(e.message));
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 2000);
    return () => clearInterval(t);
  }, []);

  const refused = (e: unknown) => {
    if (e instanceof ApiError && e.details.length) {
      setProblems(sortedProblems(e.details));
    } else {
      setFailure(e instanceof Error ? e.message : String(e));
    }
  };
  const start = (what: 'test' | 'apply'): boolean => {
    setProblems([]);
    setFailure(undefined);
    setTest(undefined);
    if (!snippet.trim()) {
      setProblems([{ field: 'snippet', message: cloudMsg.t('empty') }]);
      return false;
    }
    setBusy(what);
    return true;
  };
  const runTest = async () => {
    if (!start('test')) return;
    try {
      setTest(await call(api.POST('/api/v1/box/cloud/test', { body: { snippet } })));
    } catch (e) {
      refused(e);
    } finally {
      setBusy(undefined);
    }
  };
  const apply = async () => {
    if (!start('apply')) return;
    try {
      setD(await call(api.PUT('/api/v1/box/cloud', { body: { snippet } })));
      // The snippet holds the password: it does not stay in the page.
      setSnippet('');
      toast(cloudMsg.t('applied'), 'success');
    } catch (e) {
      refused(e);
    } finally {
      setBusy(undefined);
    }
  };

  const none = app.t('none');
  const link = d?.link;
  return (
    <div class="page">
      <h1>{cloudMsg.t('title')}</h1>
      {loadError ? <p role="alert" class="form-error">{loadError}</p> : null}
      {!d || !link ? (
        <p aria-busy="true">{common.t('state.loading')}</p>
      ) : (
        <section class="panel" aria-labelledby="cloud-state">
          <h2 id="cloud-state">{cloudMsg.t('state')}</h2>
          <dl class="facts facts-stack">
            <dt>{cloudMsg.t('state')}</dt>
            <dd><span data-testid="cloud-state" class={`state state-${link.state === 'connected' ? 'registered' : link.state === 'off' ? 'off' : 'failed'}`}>{cloudStateWords(link.state)}</span></dd>
            <dt>{cloudMsg.t('detail')}</dt><dd class="wrap-any" data-testid="cloud-detail">{link.detail ?? none}</dd>
            <dt>{cloudMsg.t('connections')}</dt><dd>{link.connections}</dd>
            <dt>{cloudMsg.t('backlog')}</dt><dd>{link.outbox_backlog}</dd>
            <dt>{cloudMsg.t('lastReceipt')}</dt><dd>{link.last_receipt_at ? formatDateTime(link.last_receipt_at, { dateStyle: 'short', timeStyle: 'medium' }) : none}</dd>
            <dt>{cloudMsg.t('url')}</dt><dd class="mono wrap-any">{d.settings.url ?? none}</dd>
            <dt>{cloudMsg.t('gateway')}</dt><dd class="mono wrap-any" data-testid="cloud-gateway">{d.settings.gateway_id ?? none}</dd>
            <dt>{cloudMsg.t('username')}</dt><dd class="mono wrap-any">{d.settings.username ?? d.settings.gateway_id ?? none}</dd>
            <dt>{cloudMsg.t('password')}</dt><dd class="wrap-any">{d.settings.password_set ? cloudMsg.t('passwordSet') : cloudMsg.t('passwordUnset')}</dd>
            <dt>{cloudMsg.t('source')}</dt><dd class="wrap-any">{d.from_override ? cloudMsg.t('sourceOverride') : cloudMsg.t('sourceFile')}</dd>
          </dl>
        </section>
      )}
      <section class="panel" aria-labelledby="cloud-connect">
        <h2 id="cloud-connect">{cloudMsg.t('connect')}</h2>
        <p class="muted">{cloudMsg.t('how')}</p>
        {d && !d.changeable ? <p role="status">{cloudMsg.t('notChangeable')}</p> : null}
        <Field label={cloudMsg.t('snippet')} hint={cloudMsg.t('snippetHint')} error={problems.length ? problems.map(problemWords).join(' · ') : undefined}>
          {(a) => (
            <textarea
              {...a}
              class="input mono snippet"
              name="snippet"
              rows={9}
              spellcheck={false}
              autoComplete="off"
              autoCapitalize="off"
              value={snippet}
              onInput={(e) => setSnippet(e.currentTarget.value)}
            />
          )}
        </Field>
        {failure ? <p role="alert" class="form-error">{failure}</p> : null}
        <div class="actions">
          <Button onClick={() => void runTest()} busy={busy === 'test'} disabled={busy === 'apply'}>{cloudMsg.t('test')}</Button>
          <Button variant="primary" onClick={() => void apply()} busy={busy === 'apply'} disabled={busy === 'test' || (d !== undefined && !d.changeable)}>{cloudMsg.t('apply')}</Button>
        </div>
        {test ? (
          <div role="status" class={`answer ${test.ok ? '' : 'test-failed'}`} data-testid="cloud-test">
            <p class={`state state-${test.ok ? 'registered' : 'failed'}`}>{test.ok ? (test.login_tried ? cloudMsg.t('testOk') : cloudMsg.t('testOkReach')) : stepWords(test.step)}</p>
            <p class="muted wrap-any">{cloudMsg.t('gatewaySays', { message: test.message })}</p>
          </div>
        ) : null}
      </section>
    </div>
  );
}
