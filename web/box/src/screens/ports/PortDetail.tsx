import { Button } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError, api, call, type PortSettings } from '../../api/box';
import { ports } from '../../app/live';
import { app, msgStateWords, stateWords } from '../../app/messages';
import { AtLogPanel } from './AtLogPanel';
import { Signal, StateBadge } from './Bits';
import { Maintenance } from './Maintenance';
import { SettingsForm } from './SettingsForm';
import { portsMsg } from './messages';

const FINAL = new Set(['delivered', 'failed', 'expired', 'blocked', 'cancelled', 'unknown', 'no_report']);

function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.field ? common.t('errors.field', { field: e.field, message: e.message }) : e.message;
  return String(e);
}

function TestSms({ port }: { port: number }): JSX.Element {
  const [to, setTo] = useState('');
  const [text, setText] = useState(portsMsg.t('detail.defaultText'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [sent, setSent] = useState<{ id: number; state: string; error?: string | null } | undefined>();
  useEffect(() => {
    if (!sent || (FINAL.has(sent.state) && sent.state !== 'sent')) return;
    const t = setTimeout(() => {
      call(api.GET('/api/v1/messages/{id}', { params: { path: { id: sent.id } } }))
        .then((m) => setSent({ id: m.id, state: m.state, error: m.error ?? null }))
        .catch(() => setSent({ ...sent }));
    }, 1000);
    return () => clearTimeout(t);
  }, [sent]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await call(api.POST('/api/v1/messages', { body: { to: to.trim(), text, port } }));
      setSent({ id: r.id, state: r.state });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (f: string) => (error?.field === f ? error.message : undefined);
  return (
    <section class="panel" aria-labelledby="test-title">
      <h2 id="test-title">{portsMsg.t('detail.testTitle')}</h2>
      <form onSubmit={submit} noValidate>
        <div class="form-grid">
          <TextField label={portsMsg.t('detail.to')} name="to" type="tel" inputMode="tel" autoComplete="off" value={to} onInput={(e) => setTo(e.currentTarget.value)} error={fieldError('to')} />
          <TextField label={portsMsg.t('detail.text')} name="text" value={text} onInput={(e) => setText(e.currentTarget.value)} error={fieldError('text')} />
        </div>
        {error && !error.field ? <p class="form-error" role="alert">{error.message}</p> : null}
        <div class="actions">
          <Button type="submit" variant="primary" icon="send" busy={busy}>{portsMsg.t('detail.send')}</Button>
          {sent ? (
            <span role="status" data-testid="test-sms-state" class={`state state-${sent.state}`}>
              {portsMsg.t('detail.testState', { id: sent.id, state: msgStateWords(sent.state) })}
              {sent.error ? ` — ${sent.error}` : ''}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}

function Ussd({ port }: { port: number }): JSX.Element {
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setAnswer(undefined);
    try {
      const body = code.trim() ? { code: code.trim() } : {};
      const r = await call(api.POST('/api/v1/ports/{id}/ussd', { params: { path: { id: port } }, body }));
      setAnswer(r.text ?? portsMsg.t('detail.noAnswer', { status: r.status }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="ussd-title">
      <h2 id="ussd-title">{portsMsg.t('detail.ussdTitle')}</h2>
      <form onSubmit={run} noValidate>
        <TextField label={portsMsg.t('detail.code')} name="code" hint={portsMsg.t('detail.codeHint')} value={code} placeholder="*100#" onInput={(e) => setCode(e.currentTarget.value)} />
        <div class="actions">
          <Button type="submit" busy={busy}>{portsMsg.t('detail.run')}</Button>
        </div>
      </form>
      {error ? <p class="form-error" role="alert">{error}</p> : null}
      {answer !== undefined ? (
        <div role="status">
          <h3>{portsMsg.t('detail.answer')}</h3>
          <p class="answer" data-testid="ussd-answer">{answer}</p>
        </div>
      ) : null}
    </section>
  );
}

export function PortDetail({ id }: { id: number }): JSX.Element {
  const p = ports.value?.find((x) => x.port === id);
  const [settings, setSettings] = useState<PortSettings | undefined>();
  useEffect(() => {
    call(api.GET('/api/v1/box/ports/settings'))
      .then((r) => setSettings(r.ports.find((s) => s.id === id)))
      .catch(() => setSettings(undefined));
  }, [id]);
  const none = app.t('none');
  return (
    <div class="page">
      <p><Link href="/ports">{portsMsg.t('detail.back')}</Link></p>
      <div class="page-header">
        <h1>{portsMsg.t('detail.title', { port: id })}</h1>
        {p ? <span data-testid="port-state"><StateBadge state={p.state} /></span> : null}
      </div>
      {ports.value === undefined ? (
        <p aria-busy="true">{common.t('state.loading')}</p>
      ) : !p ? (
        <p role="alert">{portsMsg.t('detail.notFound', { port: id })}</p>
      ) : (
        <>
          {p.reason ? <p class="notice wrap-any" role="status">{p.reason}</p> : null}
          <section class="panel" aria-labelledby="id-title">
            <h2 id="id-title">{portsMsg.t('detail.identity')}</h2>
            <dl class="facts">
              <dt>{portsMsg.t('detail.registration')}</dt><dd>{stateWords(p.registration)}</dd>
              <dt>{portsMsg.t('detail.signal')}</dt><dd><Signal dbm={p.signal_dbm} /></dd>
              <dt>{portsMsg.t('detail.operator')}</dt><dd>{p.operator ?? none}</dd>
              <dt>{portsMsg.t('detail.iccid')}</dt><dd class="mono wrap-any">{p.sim.iccid ?? none}</dd>
              <dt>{portsMsg.t('detail.imsi')}</dt><dd class="mono">{p.sim.imsi ?? none}</dd>
              <dt>{portsMsg.t('detail.imei')}</dt><dd class="mono">{p.sim.imei ?? none}</dd>
              <dt>{portsMsg.t('detail.manufacturer')}</dt><dd>{p.sim.manufacturer ?? none}</dd>
              <dt>{portsMsg.t('detail.model')}</dt><dd>{p.sim.model ?? none}</dd>
              {p.storage ? (<><dt>{portsMsg.t('detail.storage')}</dt><dd>{portsMsg.t('detail.storageValue', { used: p.storage.used, total: p.storage.total, memory: p.storage.memory })}</dd></>) : null}
              {p.bench ? (<><dt>{portsMsg.t('detail.bench')}</dt><dd>{p.bench.words}</dd></>) : null}
            </dl>
          </section>
          <section class="panel" aria-labelledby="cnt-title">
            <h2 id="cnt-title">{portsMsg.t('detail.counters')}</h2>
            <dl class="facts">
              <dt>{portsMsg.t('detail.sent')}</dt><dd>{p.counters.sent}</dd>
              <dt>{portsMsg.t('detail.failed')}</dt><dd>{p.counters.failed}</dd>
              <dt>{portsMsg.t('detail.unknown')}</dt><dd>{p.counters.unknown}</dd>
              <dt>{portsMsg.t('detail.received')}</dt><dd>{p.counters.received}</dd>
              <dt>{portsMsg.t('detail.reports')}</dt><dd>{p.counters.reports}</dd>
              <dt>{portsMsg.t('detail.resets')}</dt><dd>{p.counters.resets}</dd>
              <dt>{portsMsg.t('detail.powerCycles')}</dt><dd data-testid="power-cycles">{p.counters.power_cycles}</dd>
              <dt>{portsMsg.t('detail.hangs')}</dt><dd>{p.counters.hangs}</dd>
            </dl>
          </section>
          {settings ? <SettingsForm settings={settings} onSaved={setSettings} /> : null}
          <TestSms port={id} />
          <Ussd port={id} />
          <Maintenance port={id} />
          {settings?.kind !== 'dinstar_http' ? <AtLogPanel port={id} /> : null}
        </>
      )}
    </div>
  );
}
