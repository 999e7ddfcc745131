/**
 * The supervisor monitor: agents with their state and time in state, active and completed
 * today; customers waiting, longest first, with "watch" (a read-only, live view), "take
 * over" and "reassign" (to another agent). Reloads on every floor or conversation event from
 * the live stream.
 */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, ApiError, call, type Schemas } from '../../api/hub';
import { live } from '../../app/live';
import type { ScreenProps } from '../../app/modules';
import { loadThread, threads, wireLive } from '../inbox/store';
import { monitorText as t } from './messages';
import { ReassignDialog } from './ReassignDialog';

type FloorView = Schemas['FloorView'];
type Waiting = FloorView['waiting'][number];

function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : common.t('errors.network');
}

function Spy({ id }: { id: string }): JSX.Element {
  useEffect(() => {
    wireLive();
    void loadThread(id).catch(() => {});
  }, [id]);
  const list = threads.value.get(id) ?? [];
  const who = list.find((m) => m.direction === 'inbound')?.from ?? '';
  return (
    <section class="page monitor-spy" aria-labelledby="spy-title" data-testid="spy">
      <Link href="/monitor">{t.t('spy.back')}</Link>
      <h1 id="spy-title">{t.t('spy.title', { who })}</h1>
      <p class="notice">{t.t('spy.readOnly')}</p>
      <ol class="bubbles" aria-live="polite">
        {list.map((m) => (
          <li key={m.id} class={`bubble ${m.direction === 'outbound' ? 'bubble-out' : 'bubble-in'}`} data-state={m.state}>
            <p class="bubble-text">{m.text}</p>
            <span class="bubble-meta"><time dateTime={m.created_at}>{formatDateTime(m.created_at, { timeStyle: 'short' })}</time></span>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function Monitor({ params }: ScreenProps): JSX.Element {
  const [view, setView] = useState<FloorView | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [, go] = useLocation();
  const [reassigning, setReassigning] = useState<Waiting | null>(null);
  const load = () =>
    call(api.GET('/api/v1/floor', {}))
      .then((v) => setView(v))
      .catch((e) => toast(errorText(e), 'error'));
  useEffect(() => {
    void load();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 200);
    };
    const off = live.on((e) => {
      if (e.type === 'agent_state_changed' || e.type === 'interaction_updated' || e.type === 'presence_changed') soon();
    });
    const offResync = live.onResync(soon);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      off();
      offResync();
      clearInterval(tick);
      clearTimeout(timer);
    };
  }, []);
  if (params.id) return <Spy id={params.id} />;
  const names = new Map((view?.agents ?? []).map((a) => [a.user_id, a.name]));
  const takeOver = async (id: string) => {
    try {
      await call(api.POST('/api/v1/floor/interactions/{id}/take-over', { params: { path: { id } } }));
      toast(t.t('waiting.taken'), 'success');
      go(`/inbox/${id}`);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  const logout = async (id: string, name: string) => {
    try {
      await call(api.POST('/api/v1/floor/agents/{id}/logout', { params: { path: { id } } }));
      toast(t.t('agents.loggedOut', { name }), 'success');
      void load();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  return (
    <div class="page monitor">
      <div class="page-header">
        <div>
          <h1>{t.t('title')}</h1>
          <p class="muted">{t.t('intro')}</p>
        </div>
      </div>
      <section class="monitor-section" aria-labelledby="monitor-agents-title">
        <h2 id="monitor-agents-title">{t.t('agents.label')}</h2>
        <TableScroll label={t.t('agents.label')}>
          <table class="data-table" aria-label={t.t('agents.label')} data-testid="monitor-agents">
            <thead>
              <tr>
                <th scope="col">{t.t('agents.name')}</th>
                <th scope="col">{t.t('agents.state')}</th>
                <th scope="col">{t.t('agents.since')}</th>
                <th scope="col">{t.t('agents.active')}</th>
                <th scope="col">{t.t('agents.completed')}</th>
                <th scope="col">{t.t('agents.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {(view?.agents ?? []).map((a) => (
                <tr key={a.user_id} data-agent={a.login} data-state={a.state}>
                  <td>{a.name}</td>
                  <td>
                    <span class={`status agent-${a.state}`} data-reason={a.reason ?? undefined}>
                      {t.t(`state.${a.state}`)}
                      {a.state === 'away' && a.reason ? <span class="agent-reason"> · {t.t(`reason.${a.reason}`)}</span> : null}
                      {a.state === 'offline' && a.status === 'offline' ? <span class="agent-reason"> · {t.t('signedOff')}</span> : null}
                    </span>
                  </td>
                  <td><time dateTime={a.since}>{duration((now - Date.parse(a.since)) / 1000)}</time></td>
                  <td>{a.active}</td>
                  <td>{a.completed_today}</td>
                  <td>{a.state !== 'offline' ? <IconButton icon="logout" label={t.t('agents.logout', { name: a.name })} onClick={() => void logout(a.user_id, a.name)} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
        {view && view.agents.length === 0 ? <p class="empty">{t.t('agents.none')}</p> : null}
      </section>
      <section class="monitor-section" aria-labelledby="monitor-waiting-title">
        <h2 id="monitor-waiting-title">{t.t('waiting.label')}</h2>
        <TableScroll label={t.t('waiting.label')}>
          <table class="data-table" aria-label={t.t('waiting.label')} data-testid="monitor-waiting">
            <thead>
              <tr>
                <th scope="col">{t.t('waiting.number')}</th>
                <th scope="col">{t.t('waiting.waited')}</th>
                <th scope="col">{t.t('waiting.assignee')}</th>
                <th scope="col">{t.t('agents.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {(view?.waiting ?? []).map((w) => (
                <tr key={w.interaction_id} data-id={w.interaction_id}>
                  <td><Link href={`/monitor/spy/${w.interaction_id}`} aria-label={t.t('waiting.spy', { who: w.contact_number })}>{w.contact_number}</Link></td>
                  <td><time dateTime={w.since}>{duration((now - Date.parse(w.since)) / 1000)}</time></td>
                  <td>{w.assignee_id ? names.get(w.assignee_id) ?? '—' : t.t('waiting.nobody')}</td>
                  <td class="col-actions">
                    <div class="row-actions monitor-actions">
                      <Button onClick={() => void takeOver(w.interaction_id)}>{t.t('waiting.takeOver')}</Button>
                      <Button onClick={() => setReassigning(w)} aria-label={t.t('waiting.reassignLabel', { who: w.contact_number })}>{t.t('waiting.reassign')}</Button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
        {view && view.waiting.length === 0 ? <p class="empty">{t.t('waiting.none')}</p> : null}
      </section>
      {reassigning ? <ReassignDialog waiting={reassigning} agents={view?.agents ?? []} onClose={() => setReassigning(null)} onDone={() => void load()} /> : null}
    </div>
  );
}
