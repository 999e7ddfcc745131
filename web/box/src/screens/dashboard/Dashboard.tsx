import { formatDateTime, formatNumber } from '@smsgate/shared/i18n/core';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Dashboard as Data } from '../../api/box';
import { msgStateWords } from '../../app/messages';
import { diskFreeShare, formatBytes, formatUptime } from '../format';
import { cloudStateWords, dashboard } from './messages';

/** Below this share of free space the disk card warns. */
const LOW_DISK_SHARE = 0.1;

export function Dashboard(): JSX.Element {
  const [d, setD] = useState<Data | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let alive = true;
    const load = () =>
      call(api.GET('/api/v1/box/dashboard'))
        .then((v) => alive && (setD(v), setError(undefined)))
        .catch((e: Error) => alive && setError(e.message));
    void load();
    const t = setInterval(load, 5000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, []);
  const share = d ? diskFreeShare(d.disk_free_bytes, d.disk_total_bytes) : undefined;
  const lowDisk = share !== undefined && share < LOW_DISK_SHARE;
  return (
    <div class="page">
      <h1>{dashboard.t('title')}</h1>
      {error ? <p role="alert" class="form-error">{error}</p> : null}
      {!d ? (
        <p aria-busy="true">{common.t('state.loading')}</p>
      ) : (
        <>
          <div class="cards">
            <section class="card" aria-labelledby="c-ports">
              <h2 id="c-ports">{dashboard.t('ports')}</h2>
              <div class="big" data-testid="ports-ready">{dashboard.t('portsValue', { ready: d.ports_ready, total: d.ports_total })}</div>
            </section>
            <section class="card" aria-labelledby="c-hour">
              <h2 id="c-hour">{dashboard.t('lastHour')}</h2>
              <div>{dashboard.t('lastHourValue', { sent: d.last_hour.sent, failed: d.last_hour.failed, received: d.last_hour.received })}</div>
            </section>
            <section class="card" aria-labelledby="c-cloud">
              <h2 id="c-cloud">{dashboard.t('cloud')}</h2>
              <div class={`state state-${d.cloud.state === 'connected' ? 'registered' : d.cloud.state === 'off' ? 'off' : 'failed'}`}>{cloudStateWords(d.cloud.state)}</div>
              {d.cloud.detail ? <div class="muted wrap-any">{d.cloud.detail}</div> : null}
              <div class="muted" data-testid="cloud-backlog">{dashboard.t('backlog', { count: d.cloud.outbox_backlog })}</div>
              <div class="muted" data-testid="cloud-receipt">{d.cloud.last_receipt_at ? dashboard.t('lastReceipt', { when: formatDateTime(d.cloud.last_receipt_at, { dateStyle: 'short', timeStyle: 'medium' }) }) : dashboard.t('noReceipt')}</div>
            </section>
            <section class="card" aria-labelledby="c-box">
              <h2 id="c-box">{dashboard.t('version')}</h2>
              <div class="big">{d.version}</div>
              <div class="muted">{dashboard.t('uptime')} {formatUptime(d.uptime_s)}</div>
            </section>
            <section class="card" aria-labelledby="c-disk">
              <h2 id="c-disk">{dashboard.t('disk')}</h2>
              <div class="big" data-testid="disk-free">{d.disk_free_bytes == null ? dashboard.t('unknown') : dashboard.t('diskFree', { free: formatBytes(d.disk_free_bytes), total: formatBytes(d.disk_total_bytes) })}</div>
              {lowDisk ? <div class="form-error" role="status">{dashboard.t('diskLow')}</div> : null}
              <div class="muted">{dashboard.t('spoolFiles', { size: formatBytes(d.spool_bytes) })}</div>
            </section>
            <section class="card" aria-labelledby="c-mem">
              <h2 id="c-mem">{dashboard.t('memory')}</h2>
              <div class="big" data-testid="memory">{d.rss_bytes == null ? dashboard.t('unknown') : formatBytes(d.rss_bytes)}</div>
            </section>
          </div>
          <section class="panel" aria-labelledby="c-spool">
            <h2 id="c-spool">{dashboard.t('spool')}</h2>
            <dl class="facts">
              {d.states.map((s) => (
                <>
                  <dt key={`${s.state}-t`}>{msgStateWords(s.state)}</dt>
                  <dd key={`${s.state}-d`}>{formatNumber(s.count)}</dd>
                </>
              ))}
            </dl>
          </section>
        </>
      )}
    </div>
  );
}
