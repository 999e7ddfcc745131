/**
 * The gateway's recent log lines (its in-memory ring; secrets masked by the gateway before a
 * line is kept), read every 5 s from the last sequence number, in a labelled focusable region
 * that follows the newest line.
 */
import { Button } from '@smsgate/shared/components/Button';
import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../../api/box';
import { diagMsg } from './Diagnostics';
import { levelClass, mergeLogs, visibleLogs, type LogLine } from './logs';

export function RecentLogs(): JSX.Element {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [kept, setKept] = useState(true);
  const [problemsOnly, setProblemsOnly] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const last = useRef(0);
  const frame = useRef<HTMLDivElement>(null);

  const load = async () => {
    try {
      const page = await call(api.GET('/api/v1/box/logs', { params: { query: { after: last.current } } }));
      setKept(page.kept);
      setError(undefined);
      const newest = page.lines.at(-1);
      if (newest) {
        last.current = newest.seq;
        setLines((k) => mergeLogs(k, page.lines));
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    const el = frame.current?.querySelector<HTMLElement>('.table-wrap');
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines, problemsOnly]);

  const shown = visibleLogs(lines, problemsOnly);
  return (
    <section class="panel" aria-labelledby="logs-title">
      <div class="panel-header">
        <h2 id="logs-title">{diagMsg.t('logs')}</h2>
        <div class="actions">
          <label class="check">
            <input type="checkbox" checked={problemsOnly} onChange={(e) => setProblemsOnly(e.currentTarget.checked)} />
            <span>{diagMsg.t('logsProblems')}</span>
          </label>
          <Button variant="secondary" onClick={() => void load()}>{diagMsg.t('logsRefresh')}</Button>
        </div>
      </div>
      <p class="muted">{diagMsg.t('logsIntro')}</p>
      {error ? <p role="alert" class="form-error">{error}</p> : null}
      {!kept ? (
        <p role="status">{diagMsg.t('logsNone')}</p>
      ) : (
        <div class="at-log" ref={frame}>
          <TableScroll label={diagMsg.t('logsRegion')}>
            <table class="grid at-lines" data-testid="recent-logs">
              <thead>
                <tr>
                  <th scope="col">{diagMsg.t('logsTime')}</th>
                  <th scope="col">{diagMsg.t('logsLevel')}</th>
                  <th scope="col">{diagMsg.t('logsLine')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.length === 0 ? (
                  <tr>
                    <td colSpan={3} class="muted">{diagMsg.t('logsEmpty')}</td>
                  </tr>
                ) : (
                  shown.map((l) => (
                    <tr key={l.seq}>
                      <td class="mono">{formatDateTime(l.at, { timeStyle: 'medium' })}</td>
                      <td><span class={`state ${levelClass(l.level)}`}>{l.level}</span></td>
                      <td class="mono wrap-any">{l.target}: {l.text}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </TableScroll>
        </div>
      )}
    </section>
  );
}
