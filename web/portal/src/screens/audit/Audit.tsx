/** The audit log: administrative actions, newest first, searchable, by date, paged by cursor. */
import { Button } from '@smsgate/shared/components/Button';
import { Icon } from '@smsgate/shared/components/Icon';
import { toast } from '@smsgate/shared/components/Toasts';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../../api/hub';
import type { ScreenProps } from '../../app/modules';
import { tenant } from '../../app/session';
import { errorText } from '../inbox/errorText';
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
  const [items, setItems] = useState<Entry[] | null>(null);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const org = tenant.value;
  const query = (cursor?: string) => {
    const s = dayBound(since, false);
    const u = dayBound(until, true);
    return { limit: 100, ...(q.trim() ? { q: q.trim() } : {}), ...(org ? { org } : {}), ...(s ? { since: s } : {}), ...(u ? { until: u } : {}), ...(cursor ? { cursor } : {}) };
  };
  useEffect(() => {
    let alive = true;
    const timer = setTimeout(() => {
      call(api.GET('/api/v1/audit', { params: { query: query() } }))
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
  }, [q, since, until, org]);
  const more = async () => {
    if (!next) return;
    setBusy(true);
    try {
      const p = await call(api.GET('/api/v1/audit', { params: { query: query(next) } }));
      setItems([...(items ?? []), ...p.items]);
      setNext(p.next_cursor ?? undefined);
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="page audit">
      <div class="page-header">
        <div>
          <h1>{t.t('title')}</h1>
          <p class="muted">{t.t('intro')}</p>
        </div>
      </div>
      <div class="toolbar">
        <label class="search-box">
          <Icon name="search" />
          <span class="visually-hidden">{t.t('search')}</span>
          <input type="search" class="input" placeholder={t.t('search')} value={q} onInput={(e) => setQ(e.currentTarget.value)} data-testid="audit-search" />
        </label>
        <label class="compact-field">
          <span>{t.t('since')}</span>
          <input type="date" class="input" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </label>
        <label class="compact-field">
          <span>{t.t('until')}</span>
          <input type="date" class="input" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
        </label>
      </div>
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t.t('title')}>
        <table class="data-table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">{t.t('col.at')}</th>
              <th scope="col">{t.t('col.actor')}</th>
              <th scope="col">{t.t('col.action')}</th>
              <th scope="col">{t.t('col.target')}</th>
              <th scope="col">{t.t('col.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {(items ?? []).map((e) => (
              <tr key={e.id} data-action={e.action} data-target={e.target}>
                <td><time dateTime={e.at}>{formatDateTime(e.at, { dateStyle: 'short', timeStyle: 'medium' })}</time></td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.target}</td>
                <td>{e.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items && items.length === 0 ? <p class="empty">{t.t('none')}</p> : null}
      {next ? <Button busy={busy} onClick={() => void more()}>{t.t('more')}</Button> : null}
    </div>
  );
}
