/**
 * Reports: a period (quick choices or two days), the summary figures, messages per day as a
 * chart, per channel / queue / agent and failure reasons as tables with bars; export of what
 * is shown as CSV (one table) or XLSX (every table).
 */
import { Button } from '@smsgate/shared/components/Button';
import { toast } from '@smsgate/shared/components/Toasts';
import { formatDateTime, formatNumber } from '@smsgate/shared/i18n/core';
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import type { ScreenProps } from '../../app/modules';
import { tenant } from '../../app/session';
import { download } from '../inbox/download';
import { errorText } from '../inbox/errorText';
import { Bar, DaysChart } from './Charts';
import { reportsText as t } from './messages';
import { periodProblem, QUICK, reportQuery, TABLES, formatSeconds, scaleMax, type Period, type Table } from './query';

type Report = Schemas['Report'];
type GroupRow = Schemas['GroupRow'];

const tz = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

let kept: Period = { kind: 'quick', range: 'last7_days' };

function Card({ label, value, children, id }: { label: string; value: string; children?: ComponentChildren; id: string }): JSX.Element {
  return (
    <div class="stat-card" data-figure={id}>
      <dt>{label}</dt>
      <dd>
        <span class="stat-value">{value}</span>
        {children ? <span class="stat-detail muted">{children}</span> : null}
      </dd>
    </div>
  );
}

/** A table that may scroll sideways on a phone: focusable and named, so a keyboard reaches it. */
function Scroll({ label, children }: { label: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

function Groups({ id, label, rows, empty }: { id: string; label: string; rows: readonly GroupRow[]; empty?: string }): JSX.Element {
  const max = scaleMax(rows.flatMap((r) => [r.received, r.sent]));
  return (
    <section class="report-section" aria-labelledby={`h-${id}`}>
      <h2 id={`h-${id}`}>{label}</h2>
      <Scroll label={label}>
        <table class="data-table">
          <thead>
            <tr>
              <th scope="col">{t.t('col.name')}</th>
              <th scope="col">{t.t('col.received')}</th>
              <th scope="col">{t.t('col.sent')}</th>
              <th scope="col">{t.t('col.delivered')}</th>
              <th scope="col">{t.t('col.failed')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id ?? r.name}>
                <th scope="row">{r.id ? r.name : (empty ?? r.name)}</th>
                <td><Bar value={r.received} max={max} kind="received" /></td>
                <td><Bar value={r.sent} max={max} kind="sent" /></td>
                <td>{formatNumber(r.delivered)}</td>
                <td>{formatNumber(r.failed)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      {rows.length === 0 ? <p class="empty">{t.t('empty')}</p> : null}
    </section>
  );
}

function PeriodForm({ period, onApply }: { period: Period; onApply: (p: Period) => void }): JSX.Element {
  const [from, setFrom] = useState(period.kind === 'custom' ? period.from : '');
  const [to, setTo] = useState(period.kind === 'custom' ? period.to : '');
  const [problem, setProblem] = useState<ReturnType<typeof periodProblem>>(null);
  const apply = (e: Event) => {
    e.preventDefault();
    const p: Period = { kind: 'custom', from, to };
    const bad = periodProblem(p);
    setProblem(bad);
    if (!bad) onApply(p);
  };
  const msg = (field: 'from' | 'to') => (problem?.field === field ? t.t(problem.kind === 'order' ? 'period.order' : 'period.missing') : undefined);
  return (
    <div class="report-period">
      <div class="quick-ranges" role="group" aria-label={t.t('period.label')}>
        {QUICK.map((r) => (
          <button key={r} type="button" class="reply-mode" aria-pressed={period.kind === 'quick' && period.range === r ? 'true' : 'false'} onClick={() => onApply({ kind: 'quick', range: r })}>
            {t.t(`period.quick.${r}`)}
          </button>
        ))}
      </div>
      <form class="custom-range" onSubmit={apply} aria-label={t.t('period.custom')} noValidate>
        <div class={msg('from') ? 'field field-invalid' : 'field'}>
          <label for="report-from">{t.t('period.from')}</label>
          <input id="report-from" type="date" class="input" value={from} onInput={(e) => setFrom(e.currentTarget.value)} aria-invalid={msg('from') ? 'true' : undefined} aria-describedby={msg('from') ? 'report-from-error' : undefined} />
          {msg('from') ? <div id="report-from-error" class="field-error" role="alert">{msg('from')}</div> : null}
        </div>
        <div class={msg('to') ? 'field field-invalid' : 'field'}>
          <label for="report-to">{t.t('period.to')}</label>
          <input id="report-to" type="date" class="input" value={to} onInput={(e) => setTo(e.currentTarget.value)} aria-invalid={msg('to') ? 'true' : undefined} aria-describedby={msg('to') ? 'report-to-error' : undefined} />
          {msg('to') ? <div id="report-to-error" class="field-error" role="alert">{msg('to')}</div> : null}
        </div>
        <Button type="submit">{t.t('period.show')}</Button>
      </form>
    </div>
  );
}

export function Reports(_props: ScreenProps): JSX.Element {
  const [period, setPeriod] = useState<Period>(kept);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [table, setTable] = useState<Table>('days');
  const [exporting, setExporting] = useState<'csv' | 'xlsx' | null>(null);
  const org = tenant.value;
  useEffect(() => {
    kept = period;
    let alive = true;
    setBusy(true);
    const q = Object.fromEntries(reportQuery(period, tz(), org));
    call(api.GET('/api/v1/reports', { params: { query: q } }))
      .then((r) => {
        if (!alive) return;
        setReport(r);
        setError(null);
      })
      .catch((e) => alive && setError(errorText(e)))
      .finally(() => alive && setBusy(false));
    return () => {
      alive = false;
    };
  }, [period, org]);
  const exportAs = async (format: 'csv' | 'xlsx') => {
    setExporting(format);
    try {
      const q = reportQuery(period, tz(), org, format === 'csv' ? { format, table } : { format });
      const name = await download(`/api/v1/reports/export?${q.toString()}`, `report.${format}`);
      toast(t.t('export.done', { name }), 'success');
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setExporting(null);
    }
  };
  const r = report;
  const tot = r?.totals;
  const lastDay = r ? new Date(Date.parse(r.to) - 1) : undefined;
  const agentMax = scaleMax((r?.agents ?? []).map((a) => a.sent));
  const failMax = scaleMax((r?.failures ?? []).map((f) => f.count));
  return (
    <div class="page reports" aria-busy={busy ? 'true' : 'false'}>
      <div class="page-header">
        <div>
          <h1>{t.t('title')}</h1>
          <p class="muted">{t.t('intro')}</p>
        </div>
      </div>
      <PeriodForm period={period} onApply={setPeriod} />
      {error ? <p class="form-error" role="alert">{error}</p> : null}
      {r && tot ? (
        <>
          <div class="report-head">
            <p class="muted" data-testid="report-period">
              {t.t('period.showing', { org: r.org_name, from: formatDateTime(r.from, { dateStyle: 'medium', timeZone: r.timezone }), to: formatDateTime(lastDay ?? r.to, { dateStyle: 'medium', timeZone: r.timezone }), tz: r.timezone })}
            </p>
            <div class="report-export" role="group" aria-label={t.t('export.label')}>
              <label class="compact-field">
                <span class="visually-hidden">{t.t('export.table')}</span>
                <select class="input" value={table} onChange={(e) => setTable(e.currentTarget.value as Table)} aria-label={t.t('export.table')}>
                  {TABLES.map((x) => (
                    <option key={x} value={x}>{t.t(`export.tables.${x}`)}</option>
                  ))}
                </select>
              </label>
              <Button icon="archive" busy={exporting === 'csv'} onClick={() => void exportAs('csv')}>{t.t('export.csv')}</Button>
              <Button variant="primary" icon="archive" busy={exporting === 'xlsx'} onClick={() => void exportAs('xlsx')}>{t.t('export.xlsx')}</Button>
            </div>
          </div>
          <section aria-labelledby="h-totals">
            <h2 id="h-totals" class="visually-hidden">{t.t('totals.label')}</h2>
            <dl class="stat-cards" data-testid="report-totals">
              <Card id="received" label={t.t('totals.received')} value={formatNumber(tot.received)} />
              <Card id="sent" label={t.t('totals.sent')} value={formatNumber(tot.sent)} />
              <Card id="conversations" label={t.t('totals.conversations')} value={formatNumber(tot.conversations)} />
              <Card id="delivery" label={t.t('totals.deliveryRate')} value={tot.delivery_rate === null || tot.delivery_rate === undefined ? '—' : formatNumber(tot.delivery_rate, { style: 'percent', maximumFractionDigits: 1 })}>
                {tot.delivery_rate === null || tot.delivery_rate === undefined ? t.t('totals.noRate') : t.t('totals.deliveryDetail', { delivered: tot.delivered, failed: tot.failed })}
              </Card>
              <Card id="first_response" label={t.t('totals.firstResponse')} value={formatSeconds(tot.first_response.median_s)}>
                {`${t.t('totals.p90', { value: formatSeconds(tot.first_response.p90_s) })} · ${t.t('totals.count', { count: tot.first_response.count })}`}
              </Card>
              <Card id="resolution" label={t.t('totals.resolution')} value={formatSeconds(tot.resolution.median_s)}>
                {`${t.t('totals.p90', { value: formatSeconds(tot.resolution.p90_s) })} · ${t.t('totals.count', { count: tot.resolution.count })}`}
              </Card>
              <Card id="waited" label={t.t('totals.waited', { minutes: r.notification_delay_minutes })} value={formatNumber(tot.waited_too_long)} />
              <Card id="opt_outs" label={t.t('totals.optOuts')} value={formatNumber(tot.opt_outs)}>{t.t('totals.optIns', { count: tot.opt_ins })}</Card>
            </dl>
          </section>
          <section class="report-section" aria-labelledby="h-days">
            <h2 id="h-days">{t.t('days.label')}</h2>
            <DaysChart days={r.days} />
            <details class="report-details">
              <summary>{t.t('days.day')}</summary>
              <Scroll label={t.t('days.label')}>
                <table class="data-table">
                  <thead>
                    <tr>
                      <th scope="col">{t.t('days.day')}</th>
                      <th scope="col">{t.t('col.received')}</th>
                      <th scope="col">{t.t('col.sent')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.days.map((d) => (
                      <tr key={d.day}>
                        <th scope="row">{d.day}</th>
                        <td>{formatNumber(d.received)}</td>
                        <td>{formatNumber(d.sent)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            </details>
          </section>
          <Groups id="channels" label={t.t('channels.label')} rows={r.channels} />
          <Groups id="queues" label={t.t('queues.label')} rows={r.queues} empty={t.t('queues.none')} />
          <section class="report-section" aria-labelledby="h-agents">
            <h2 id="h-agents">{t.t('agents.label')}</h2>
            <Scroll label={t.t('agents.label')}>
              <table class="data-table">
                <thead>
                  <tr>
                    <th scope="col">{t.t('col.name')}</th>
                    <th scope="col">{t.t('col.sent')}</th>
                    <th scope="col">{t.t('col.closed')}</th>
                    <th scope="col">{t.t('col.firstMedian')}</th>
                    <th scope="col">{t.t('col.firstP90')}</th>
                    <th scope="col">{t.t('col.away')}</th>
                    <th scope="col">{t.t('col.offline')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.agents.map((a) => (
                    <tr key={a.id}>
                      <th scope="row">{a.name}</th>
                      <td><Bar value={a.sent} max={agentMax} kind="sent" /></td>
                      <td>{formatNumber(a.closed)}</td>
                      <td>{formatSeconds(a.first_response.median_s)}</td>
                      <td>{formatSeconds(a.first_response.p90_s)}</td>
                      <td data-testid="agent-away">
                        {formatSeconds(a.away_s)}
                        {a.away_by_reason.length > 0 ? (
                          <span class="muted">
                            {' '}({a.away_by_reason.map((x) => `${x.reason ? t.t(`awayReason.${x.reason}`) : t.t('awayReason.none')} ${formatSeconds(x.seconds)}`).join(', ')})
                          </span>
                        ) : null}
                      </td>
                      <td>{formatSeconds(a.offline_s)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
            {r.agents.length === 0 ? <p class="empty">{t.t('empty')}</p> : null}
          </section>
          <section class="report-section" aria-labelledby="h-failures">
            <h2 id="h-failures">{t.t('failures.label')}</h2>
            {r.failures.length === 0 ? (
              <p class="empty">{t.t('failures.none')}</p>
            ) : (
              <Scroll label={t.t('failures.label')}>
                <table class="data-table">
                  <thead>
                    <tr>
                      <th scope="col">{t.t('col.reason')}</th>
                      <th scope="col">{t.t('col.count')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.failures.map((f) => (
                      <tr key={f.reason}>
                        <th scope="row">{f.reason}</th>
                        <td><Bar value={f.count} max={failMax} kind="failed" /></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}
