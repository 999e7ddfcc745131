/** The audit log: administrative actions, newest first, searchable, by date, paged by cursor. */
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import type { ScreenProps } from '../../app/modules';
import { tenant } from '../../app/session';
import { type Column, DataTable, PageHeader, SearchBox, usePaged, useSettled } from '../kit/kit';
import { auditText as t } from './messages';

type Entry = Schemas['AuditEntry'];

/** A local day's start (`since`) or the next day's start (`until`, exclusive) as RFC 3339. */
export function dayBound(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  if (end) d.setDate(d.getDate() + 1);
  return d.toISOString();
}

export function Audit(_p: ScreenProps): JSX.Element {
  const [q, setQ] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const text = useSettled(q.trim(), 200);
  const org = tenant.value;
  const list = usePaged<Entry>((cursor) => {
    const s = dayBound(since, false);
    const u = dayBound(until, true);
    const query = { limit: 100, ...(text ? { q: text } : {}), ...(org ? { org } : {}), ...(s ? { since: s } : {}), ...(u ? { until: u } : {}), ...(cursor ? { cursor } : {}) };
    return call(api.GET('/api/v1/audit', { params: { query } }));
  }, [text, since, until, org]);
  const columns: Column<Entry>[] = [
    { label: t.t('col.at'), cell: (e) => <time dateTime={e.at}>{formatDateTime(e.at, { dateStyle: 'short', timeStyle: 'medium' })}</time> },
    { label: t.t('col.actor'), cell: (e) => e.actor },
    { label: t.t('col.action'), cell: (e) => e.action },
    { label: t.t('col.target'), cell: (e) => e.target },
    { label: t.t('col.detail'), cell: (e) => e.detail },
  ];
  return (
    <div class="page audit">
      <PageHeader title={t.t('title')} intro={t.t('intro')} />
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('search')} testId="audit-search" />
        <label class="compact-field">
          <span>{t.t('since')}</span>
          <input type="date" class="input" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </label>
        <label class="compact-field">
          <span>{t.t('until')}</span>
          <input type="date" class="input" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
        </label>
      </div>
      <DataTable
        label={t.t('title')}
        columns={columns}
        rows={list.items}
        rowId={(e) => e.id}
        rowData={(e) => ({ action: e.action, target: e.target })}
        list={list}
        empty={t.t('none')}
        testId="audit-table"
      />
    </div>
  );
}
