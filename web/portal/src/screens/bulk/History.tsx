/** The bulk history and one send's per-recipient results, kept live by the event stream. */
import { formatDateTime, formatNumber } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, call, type Schemas } from '../../api/hub';
import { channelById, contactName, loadChannels, loadContacts } from '../../app/directory';
import { live } from '../../app/live';
import { tenant } from '../../app/session';
import { DataTable, errorText, orgFilter, usePaged, type Column } from '../kit/kit';
import { bulkText as t } from './messages';

type BulkSummary = Schemas['BulkSummary'];
type BulkDetail = Schemas['BulkDetail'];
type Recipient = Schemas['BulkRecipientView'];

const when = (at: string) => formatDateTime(at, { dateStyle: 'short', timeStyle: 'short' });
const channelName = (id: string) => channelById.value.get(id)?.sim_number ?? '';

export function History(): JSX.Element {
  const ctx = tenant.value;
  const list = usePaged((cursor) => call(api.GET('/api/v1/bulk-messages', { params: { query: { cursor, limit: 50, ...orgFilter() } } })), [ctx]);
  useEffect(() => {
    void loadChannels().catch(() => {});
    return live.onResync(list.reload);
  }, []);
  const columns: Column<BulkSummary>[] = [
    { label: t.t('history.date'), cell: (b) => <time dateTime={b.created_at}>{when(b.created_at)}</time> },
    { label: t.t('history.campaign'), cell: (b) => <Link href={`/bulk/history/${b.id}`} aria-label={t.t('history.open', { campaign: b.campaign })}>{b.campaign}</Link> },
    { label: t.t('history.channel'), cell: (b) => channelName(b.channel_id), wide: true },
    { label: t.t('history.recipients'), cell: (b) => formatNumber(b.recipients) },
    { label: t.t('history.delivered'), cell: (b) => formatNumber(b.delivered), wide: true },
    { label: t.t('history.failed'), cell: (b) => formatNumber(b.failed), wide: true },
    { label: t.t('history.ignored'), cell: (b) => formatNumber(b.duplicates), wide: true },
    { label: t.t('history.optedOut'), cell: (b) => formatNumber(b.opted_out), wide: true },
  ];
  return <DataTable label={t.t('history.label')} columns={columns} rows={list.items} rowId={(b) => b.id} list={list} empty={t.t('history.empty')} />;
}

function resultText(r: Recipient): { text: string; tone: string } {
  if (r.result === 'duplicate') return { text: t.t('result.duplicateWhy'), tone: 'badge' };
  if (r.result === 'opted_out') return { text: t.t('result.optedOutWhy'), tone: 'badge badge-warning' };
  const s = r.state ?? 'queued';
  const text = t.t(`result.${s}`) + (r.error ? ` — ${r.error}` : '');
  const tone = s === 'delivered' ? 'badge badge-success' : s === 'failed' || s === 'expired' || s === 'cancelled' ? 'badge badge-danger' : 'badge badge-info';
  return { text, tone };
}

export function BulkDetailView({ id }: { id: string }): JSX.Element {
  const [d, setD] = useState<BulkDetail | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    void loadChannels().catch(() => {});
    void loadContacts().catch(() => {});
    let alive = true;
    const load = () =>
      call(api.GET('/api/v1/bulk-messages/{id}', { params: { path: { id } } }))
        .then((x) => alive && setD(x))
        .catch((e: unknown) => alive && setError(errorText(e)));
    void load();
    // A delivery update of a campaign message reloads it (at most twice a second).
    const offEvent = live.on((e) => {
      if ((e.type === 'message_updated' || e.type === 'message_created') && e.message.campaign) {
        if (!timer.current) timer.current = setTimeout(() => {
          timer.current = undefined;
          void load();
        }, 500);
      }
    });
    const offResync = live.onResync(() => void load());
    return () => {
      alive = false;
      offEvent();
      offResync();
      if (timer.current) clearTimeout(timer.current);
    };
  }, [id]);
  if (error) return <p class="form-error" role="alert">{error}</p>;
  if (!d) return <div class="screen-loading"><span class="spinner" aria-hidden="true" /></div>;
  const settled = d.sent + d.delivered + d.failed;
  const columns: Column<Recipient & { seq: number }>[] = [
    { label: t.t('detail.number'), cell: (r) => <span class="mono">{r.to}</span> },
    { label: t.t('detail.contact'), cell: (r) => contactName(d.org_id, r.to) ?? '', wide: true },
    {
      label: t.t('detail.result'),
      cell: (r) => {
        const x = resultText(r);
        return <span class={x.tone} data-result={r.result === 'queued' ? (r.state ?? 'queued') : r.result}>{x.text}</span>;
      },
    },
  ];
  return (
    <section aria-labelledby="bulk-title" class="bulk-detail">
      <Link href="/bulk/history">{t.t('detail.back')}</Link>
      <h2 id="bulk-title">{t.t('detail.title', { campaign: d.campaign })}</h2>
      <p class="muted">{t.t('detail.sentOn', { date: when(d.created_at), channel: channelName(d.channel_id) })}</p>
      <blockquote class="bulk-text">{d.text}</blockquote>
      <div class="import-progress">
        <progress aria-label={t.t('detail.progressLabel')} max={Math.max(1, d.queued)} value={settled} />
        <span aria-live="polite" data-testid="bulk-progress">{t.t('detail.progress', { done: formatNumber(settled), total: formatNumber(d.queued) })}</span>
      </div>
      <p data-testid="bulk-summary">
        {t.t('detail.summary', { queued: d.queued, delivered: d.delivered, failed: d.failed, ignored: d.duplicates, optedOut: d.opted_out })}
      </p>
      <h3>{t.t('detail.results')}</h3>
      <DataTable label={t.t('detail.results')} columns={columns} rows={d.results.map((r, seq) => ({ ...r, seq }))} rowId={(r) => String(r.seq)} />
    </section>
  );
}
