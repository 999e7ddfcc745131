/**
 * One campaign: live dashboard (counters, rate, estimated end, sends-per-minute chart, polled
 * every 2 s), actions the state allows, recipients upload (XHR for the progress bar; per-line
 * errors listed), preview of the first rendered rows, exports.
 */
import { Button } from '@smsgate/shared/components/Button';
import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { toast } from '@smsgate/shared/components/Toasts';
import { formatDateTime, formatNumber } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, call, type Schemas } from '../../api/hub';
import type { CampaignView } from './Campaigns';
import { errorText } from './Campaigns';
import { EDITABLE, EditCampaign } from './EditCampaign';
import { campaignsText as t } from './messages';

type Stats = Schemas['CampaignStats'];
type PreviewRow = Schemas['PreviewRow'];
type Problem = { line: number; field: string; message: string };
type Action = Schemas['CampaignAction'];

const ALLOWED: Record<string, Action[]> = {
  draft: ['start'],
  scheduled: ['pause', 'stop'],
  running: ['pause', 'stop'],
  paused: ['resume', 'stop'],
  completed: [],
  stopped: [],
};

function Chart({ stats }: { stats: Stats }): JSX.Element {
  const max = Math.max(1, ...stats.per_minute.map((m) => m.sent));
  const w = 4;
  return (
    <figure class="campaign-chart">
      <svg viewBox={`0 0 ${stats.per_minute.length * w} 50`} role="img" aria-label={`${t.t('dash.chart')}, ${t.t('dash.chartMax', { n: max })}`} preserveAspectRatio="none">
        {stats.per_minute.map((m, i) => {
          const h = (m.sent / max) * 48;
          return <rect key={m.minute} x={i * w + 0.5} y={50 - h} width={w - 1} height={h} class="campaign-bar" fill="currentColor" />;
        })}
      </svg>
      <figcaption>
        {t.t('dash.chart')} ({t.t('dash.chartMax', { n: max })})
      </figcaption>
    </figure>
  );
}

function Upload({ id, onDone }: { id: string; onDone: () => void }): JSX.Element {
  const [percent, setPercent] = useState<number | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [report, setReport] = useState<string | null>(null);
  const send = (e: Event) => {
    e.preventDefault();
    const input = (e.currentTarget as HTMLFormElement).elements.namedItem('file') as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/campaigns/${id}/recipients/import`);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (p) => setPercent(p.lengthComputable ? Math.round((p.loaded / p.total) * 100) : 0);
    setProblems([]);
    setReport(null);
    setPercent(0);
    xhr.onload = () => {
      setPercent(null);
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 200) {
        const r = body as Schemas['UploadReport'];
        setReport(t.t('upload.done', { rows: r.rows, ready: r.counters.to_process }));
        onDone();
      } else {
        const err = (body as { error?: { message?: string; details?: Problem[] } } | null)?.error;
        setProblems(err?.details ?? []);
        toast(err?.message ?? errorText(null), 'error');
      }
    };
    xhr.onerror = () => {
      setPercent(null);
      toast(errorText(null), 'error');
    };
    xhr.send(form);
  };
  return (
    <form class="card campaign-upload" onSubmit={send} aria-labelledby="upload-title">
      <h2 id="upload-title">{t.t('upload.title')}</h2>
      <p class="field-hint" id="upload-hint">{t.t('upload.hint')}</p>
      <label class="field">
        <span class="field-label">{t.t('upload.file')}</span>
        <input class="input" type="file" name="file" accept=".csv,.txt,.xlsx,.xls,.ods,text/csv" aria-describedby="upload-hint" />
      </label>
      <Button type="submit" variant="primary" busy={percent !== null}>
        {t.t('upload.send')}
      </Button>
      {percent !== null ? (
        <progress max={100} value={percent} aria-label={t.t('upload.progress', { percent })}>
          {percent} %
        </progress>
      ) : null}
      {report ? <p role="status">{report}</p> : null}
      {problems.length > 0 ? (
        <div role="alert" class="notice notice-error">
          <p>{t.t('upload.errors')}</p>
          <ul data-testid="upload-errors">
            {problems.map((p) => (
              <li key={`${p.line}-${p.field}`}>{t.t('upload.line', { line: p.line, field: p.field, message: p.message })}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </form>
  );
}

export function CampaignPage({ id }: { id: string }): JSX.Element {
  const [view, setView] = useState<CampaignView | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [preview, setPreview] = useState<PreviewRow[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const load = async () => {
    try {
      const path = { params: { path: { id } } };
      const [v, s] = await Promise.all([call(api.GET('/api/v1/campaigns/{id}', path)), call(api.GET('/api/v1/campaigns/{id}/stats', path))]);
      setView(v);
      setStats(s);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  const loadPreview = () =>
    call(api.GET('/api/v1/campaigns/{id}/preview', { params: { path: { id }, query: { limit: 5 } } }))
      .then(setPreview)
      .catch((e) => toast(errorText(e), 'error'));
  useEffect(() => {
    void load();
    void loadPreview();
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [id]);
  const act = async (action: Action) => {
    if (action === 'stop' && !confirm(t.t('actions.confirmStop'))) return;
    setBusy(action);
    try {
      setView(await call(api.POST('/api/v1/campaigns/{id}/action', { params: { path: { id } }, body: { action } })));
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(null);
    }
  };
  const deleteUnprocessed = async () => {
    setBusy('delete');
    try {
      const r = await call(api.DELETE('/api/v1/campaigns/{id}/recipients/unprocessed', { params: { path: { id } } }));
      toast(t.t('actions.deleted', { n: r.deleted }), 'success');
      await load();
      await loadPreview();
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(null);
    }
  };
  if (!view) return <section class="page" aria-busy="true" />;
  const c = view.campaign;
  const k = view.counters;
  const processed = k.total - k.to_process - k.queued;
  const figures: Array<[string, number, string]> = [
    ['dash.total', k.total, 'total'],
    ['dash.processed', processed, 'processed'],
    ['dash.unprocessed', k.to_process + k.queued, 'unprocessed'],
    ['rstate.sent', k.sent, 'sent'],
    ['rstate.delivered', k.delivered, 'delivered'],
    ['rstate.failed', k.failed, 'failed'],
    ['rstate.blocked', k.blocked, 'blocked'],
    ['rstate.opted_out', k.opted_out, 'opted_out'],
    ['rstate.duplicate', k.duplicate, 'duplicate'],
    ['rstate.invalid', k.invalid, 'invalid'],
    ['rstate.expired', k.expired, 'expired'],
  ];
  return (
    <section class="page campaign" aria-labelledby="campaign-title">
      <Link href="/campaigns">{t.t('back')}</Link>
      <div class="page-header">
        <h1 id="campaign-title">{c.name}</h1>
        <span class="badge" data-testid="campaign-state" data-state={c.state}>
          {t.t(`state.${c.state}`)}
        </span>
      </div>
      <div class="campaign-actions" role="group" aria-label={t.t('col.state')}>
        {ALLOWED[c.state]?.map((a) => (
          <Button key={a} variant={a === 'stop' ? 'danger' : 'primary'} busy={busy === a} onClick={() => void act(a)}>
            {t.t(`actions.${a}`)}
          </Button>
        ))}
        {EDITABLE.includes(c.state) ? (
          <Button variant="secondary" icon="edit" aria-expanded={editing} aria-controls="campaign-edit" onClick={() => setEditing(!editing)}>
            {t.t('edit.open')}
          </Button>
        ) : null}
        {c.state !== 'running' && k.to_process > 0 ? (
          <Button variant="secondary" busy={busy === 'delete'} onClick={() => void deleteUnprocessed()}>
            {t.t('actions.deleteUnprocessed')}
          </Button>
        ) : null}
        <a class="button button-ghost" href={`/api/v1/campaigns/${id}/export?format=csv`} download>
          {t.t('actions.exportCsv')}
        </a>
        <a class="button button-ghost" href={`/api/v1/campaigns/${id}/export?format=xlsx`} download>
          {t.t('actions.exportXlsx')}
        </a>
      </div>
      {editing && EDITABLE.includes(c.state) ? (
        <div id="campaign-edit">
          <EditCampaign
            view={view}
            onClose={() => setEditing(false)}
            onSaved={(v) => {
              setView(v);
              setEditing(false);
              toast(t.t('edit.saved'), 'success');
              void loadPreview();
            }}
          />
        </div>
      ) : null}
      <section class="card" aria-labelledby="dash-title">
        <h2 id="dash-title">{t.t('dash.title')}</h2>
        <p data-testid="campaign-window">
          {view.in_window ? t.t('dash.inWindow') : view.next_window ? t.t('dash.outWindow', { at: formatDateTime(view.next_window, { dateStyle: 'medium', timeStyle: 'short' }) }) : t.t('dash.outWindowNever')}
        </p>
        <dl class="campaign-figures" aria-live="polite">
          {figures.map(([label, n, key]) => (
            <div key={key} data-testid={`count-${key}`}>
              <dt>{t.t(label as Parameters<typeof t.t>[0])}</dt>
              <dd>{formatNumber(n)}</dd>
            </div>
          ))}
          <div data-testid="count-rate">
            <dt>{t.t('dash.rate')}</dt>
            <dd>{formatNumber(stats?.rate_per_minute ?? 0, { maximumFractionDigits: 1 })}</dd>
          </div>
          <div>
            <dt>{t.t('dash.eta')}</dt>
            <dd>{stats?.eta ? formatDateTime(stats.eta, { timeStyle: 'short' }) : '—'}</dd>
          </div>
          {c.dial_string ? (
            <div data-testid="campaign-dial-string">
              <dt>{t.t('dash.dialString')}</dt>
              <dd>
                <code>{c.dial_string}</code>
              </dd>
            </div>
          ) : null}
        </dl>
        {stats ? <Chart stats={stats} /> : null}
      </section>
      {c.state === 'draft' || c.state === 'paused' || c.state === 'scheduled' ? (
        <Upload
          id={id}
          onDone={() => {
            void load();
            void loadPreview();
          }}
        />
      ) : null}
      <section class="card" aria-labelledby="preview-title">
        <h2 id="preview-title">{t.t('preview.title')}</h2>
        {preview.length === 0 ? (
          <p>{t.t('preview.empty')}</p>
        ) : (
          <TableScroll label={t.t('preview.title')}>
            <table class="data-table" data-testid="campaign-preview">
              <thead>
                <tr>
                  <th scope="col">{t.t('preview.number')}</th>
                  <th scope="col">{t.t('preview.text')}</th>
                  <th scope="col">{t.t('preview.state')}</th>
                </tr>
              </thead>
              <tbody>
                {preview.map((r) => (
                  <tr key={r.line}>
                    <td>{r.number}</td>
                    <td>{r.text}</td>
                    <td>{t.t(`rstate.${r.state}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
    </section>
  );
}
