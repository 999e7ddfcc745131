/**
 * A port's AT log, live: the gateway's `at-log/events` stream sends every kept line at once,
 * then the new ones (secrets already masked by the gateway). The lines scroll inside a labelled,
 * focusable region (keyboard users scroll it with the arrow keys); it stays at the newest line
 * unless the reader scrolled up.
 */
import { LiveIndicator } from '@smsgate/shared/components/LiveIndicator';
import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import { connectSse, type LiveState, type SseConnection } from '@smsgate/shared/sse/client';
import { signal } from '@preact/signals';
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api, call } from '../../api/box';
import { me, sessionEnded } from '../../app/session';
import { mergeLines, parseLinesEvent, type AtLine } from './atlog';
import { portsMsg } from './messages';

const KIND_WORDS = { command: 'detail.kindCommand', answer: 'detail.kindAnswer', urc: 'detail.kindUrc' } as const;

export function AtLogPanel({ port }: { port: number }): JSX.Element {
  const [lines, setLines] = useState<AtLine[]>([]);
  const [missing, setMissing] = useState(false);
  const idle = useMemo(() => signal<LiveState>({ kind: 'connecting' }), []);
  const [conn, setConn] = useState<SseConnection | undefined>();
  const frame = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    setLines([]);
    setMissing(false);
    const c = connectSse({
      url: `/api/v1/box/ports/${port}/at-log/events`,
      idleTimeoutMs: 45_000,
      onEvent: (e) => {
        if (e.event !== 'lines') return;
        const got = parseLinesEvent(e.data);
        if (got) setLines((kept) => mergeLines(kept, got));
      },
      onUnauthorized: () => {
        if (me.value) {
          me.value = null;
          sessionEnded.value = true;
        }
      },
    });
    setConn(c);
    let stopped = false;
    // A port with no AT log answers 404: say so instead of retrying forever.
    call(api.GET('/api/v1/box/ports/{id}/at-log', { params: { path: { id: port }, query: {} } })).catch((e: unknown) => {
      if (!stopped && e instanceof ApiError && e.status === 404) {
        setMissing(true);
        c.close();
      }
    });
    return () => {
      stopped = true;
      c.close();
    };
  }, [port]);

  // Follow the newest line unless the reader scrolled up.
  useEffect(() => {
    const el = frame.current?.querySelector<HTMLElement>('.table-wrap');
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  const onScroll = (e: Event) => {
    const el = e.target as HTMLElement;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  };

  return (
    <section class="panel" aria-labelledby="atlog-title">
      <div class="panel-header">
        <h2 id="atlog-title">{portsMsg.t('detail.atLogTitle')}</h2>
        {missing ? null : <LiveIndicator state={conn?.state ?? idle} />}
      </div>
      <p class="muted">{portsMsg.t('detail.atLogIntro')}</p>
      {missing ? (
        <p role="status">{portsMsg.t('detail.atLogNone')}</p>
      ) : (
        <div class="at-log" ref={frame} onScrollCapture={onScroll}>
          <TableScroll label={portsMsg.t('detail.atLogRegion', { port })}>
            <table class="grid at-lines" data-testid="at-log">
              <thead>
                <tr>
                  <th scope="col">{portsMsg.t('detail.atLogTime')}</th>
                  <th scope="col">{portsMsg.t('detail.atLogKind')}</th>
                  <th scope="col">{portsMsg.t('detail.atLogLine')}</th>
                </tr>
              </thead>
              <tbody>
                {lines.length === 0 ? (
                  <tr><td colSpan={3}>{portsMsg.t('detail.atLogEmpty')}</td></tr>
                ) : (
                  lines.map((l) => (
                    <tr key={l.seq} class={`at-${l.kind}`} data-seq={l.seq}>
                      <td class="nowrap">{formatDateTime(l.at, { hour: '2-digit', minute: '2-digit', second: '2-digit' })}</td>
                      <td class="nowrap">{portsMsg.t(KIND_WORDS[l.kind])}</td>
                      <td class="mono wrap-any">{l.text}</td>
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
