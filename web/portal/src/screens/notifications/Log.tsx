/** The notification log: every notification sent, newest first, with its delivery status. */
import { Button } from '@smsgate/shared/components/Button';
import { Icon } from '@smsgate/shared/components/Icon';
import { toast } from '@smsgate/shared/components/Toasts';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import { errorText } from '../inbox/errorText';
import { notificationsText as t } from './messages';

type Entry = Schemas['NotificationLogEntry'];

export function Log({ org }: { org: string | null }): JSX.Element {
  const [q, setQ] = useState('');
  const [items, setItems] = useState<Entry[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const query = (cursor?: string) => ({ limit: 100, ...(org ? { org } : {}), ...(q.trim() ? { q: q.trim() } : {}), ...(cursor ? { cursor } : {}) });
  useEffect(() => {
    let alive = true;
    const timer = setTimeout(() => {
      call(api.GET('/api/v1/notifications/log', { params: { query: query() } }))
        .then((p) => {
          if (!alive) return;
          setItems(p.items);
          setNext(p.next_cursor ?? undefined);
        })
        .catch((e) => toast(errorText(e), 'error'));
    }, q ? 200 : 0);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [org, q]);
  const more = async () => {
    if (!next) return;
    setBusy(true);
    try {
      const p = await call(api.GET('/api/v1/notifications/log', { params: { query: query(next) } }));
      setItems([...(items ?? []), ...p.items]);
      setNext(p.next_cursor ?? undefined);
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="h-log">
      <h2 id="h-log">{t.t('log.label')}</h2>
      <div class="toolbar">
        <label class="search-box">
          <Icon name="search" />
          <span class="visually-hidden">{t.t('log.search')}</span>
          <input type="search" class="input" placeholder={t.t('log.search')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
      </div>
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t.t('log.label')}>
        <table class="data-table" data-testid="notification-log">
          <thead>
            <tr>
              <th scope="col">{t.t('log.at')}</th>
              <th scope="col">{t.t('log.level')}</th>
              <th scope="col">{t.t('log.medium')}</th>
              <th scope="col">{t.t('log.recipient')}</th>
              <th scope="col">{t.t('log.count')}</th>
              <th scope="col">{t.t('log.status')}</th>
              <th scope="col">{t.t('log.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {(items ?? []).map((e) => (
              <tr key={e.id} data-status={e.status} data-medium={e.medium}>
                <td><time dateTime={e.at}>{formatDateTime(e.at, { dateStyle: 'short', timeStyle: 'medium' })}</time></td>
                <td>{e.level === 0 ? t.t('log.level0') : t.t('log.levelN', { n: e.level })}</td>
                <td>{t.t(`medium.${e.medium}`)}</td>
                <td>{`${e.recipient} · ${e.address}`}</td>
                <td>{e.count}</td>
                <td><span class={`status notify-${e.status}`}>{t.t(`status.${e.status}`)}</span></td>
                <td>{e.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items && items.length === 0 ? <p class="empty">{t.t('log.none')}</p> : null}
      {next ? <Button busy={busy} onClick={() => void more()}>{t.t('log.more')}</Button> : null}
    </section>
  );
}
