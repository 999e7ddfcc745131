/** The notification log: every notification sent, newest first, with its delivery status. */
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import { type Column, DataTable, SearchBox, usePaged, useSettled } from '../kit/kit';
import { notificationsText as t } from './messages';

type Entry = Schemas['NotificationLogEntry'];

export function Log({ org }: { org: string | null }): JSX.Element {
  const [q, setQ] = useState('');
  const text = useSettled(q.trim(), 200);
  const list = usePaged<Entry>((cursor) => {
    const query = { limit: 100, ...(org ? { org } : {}), ...(text ? { q: text } : {}), ...(cursor ? { cursor } : {}) };
    return call(api.GET('/api/v1/notifications/log', { params: { query } }));
  }, [org, text]);
  const columns: Column<Entry>[] = [
    { label: t.t('log.at'), cell: (e) => <time dateTime={e.at}>{formatDateTime(e.at, { dateStyle: 'short', timeStyle: 'medium' })}</time> },
    { label: t.t('log.level'), cell: (e) => (e.level === 0 ? t.t('log.level0') : t.t('log.levelN', { n: e.level })) },
    { label: t.t('log.medium'), cell: (e) => t.t(`medium.${e.medium}`) },
    { label: t.t('log.recipient'), cell: (e) => `${e.recipient} · ${e.address}` },
    { label: t.t('log.count'), cell: (e) => e.count },
    { label: t.t('log.status'), cell: (e) => <span class={`status notify-${e.status}`}>{t.t(`status.${e.status}`)}</span> },
    { label: t.t('log.detail'), cell: (e) => e.detail ?? '' },
  ];
  return (
    <section aria-labelledby="h-log">
      <h2 id="h-log">{t.t('log.label')}</h2>
      <div class="toolbar">
        <SearchBox value={q} onInput={setQ} label={t.t('log.search')} />
      </div>
      <DataTable
        label={t.t('log.label')}
        columns={columns}
        rows={list.items}
        rowId={(e) => e.id}
        rowData={(e) => ({ status: e.status, medium: e.medium })}
        list={list}
        empty={t.t('log.none')}
        testId="notification-log"
      />
    </section>
  );
}
