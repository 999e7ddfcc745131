/**
 * One spooled message in full: where it went, each part with its network reference, and the
 * delivery report that settled an `unknown` outcome or the reports left for the operator.
 */
import { Dialog } from '@smsgate/shared/components/Dialog';
import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Message } from '../../api/box';
import { msgStateWords } from '../../app/messages';
import { detailMsg as t } from './details';

/** A report's status in words (`pending` is the network still trying). */
function reportWords(status: string): string {
  return status === 'pending' ? t.t('pending') : msgStateWords(status).toLowerCase();
}

function when(v: string | null | undefined): string {
  return v ? formatDateTime(v) : t.t('none');
}

/** The body of the dialog for a loaded message (exported for unit tests). */
export function MessageFacts({ m }: { m: Message }): JSX.Element {
  return (
    <div data-testid="spool-message-details">
      <dl class="facts">
        <dt>{t.t('to')}</dt>
        <dd class="mono">{m.to}</dd>
        <dt>{t.t('group')}</dt>
        <dd>{m.group}</dd>
        {m.campaign ? (
          <>
            <dt>{t.t('campaign')}</dt>
            <dd>{m.campaign}</dd>
          </>
        ) : null}
        <dt>{t.t('state')}</dt>
        <dd data-state={m.state}>{msgStateWords(m.state)}</dd>
        {m.error ? (
          <>
            <dt>{t.t('error')}</dt>
            <dd class="wrap-any">{m.error}</dd>
          </>
        ) : null}
        <dt>{t.t('port')}</dt>
        <dd>{m.port ?? t.t('none')}</dd>
        <dt>{t.t('attempts')}</dt>
        <dd>{m.attempts}</dd>
        <dt>{t.t('created')}</dt>
        <dd>{when(m.created_at)}</dd>
        <dt>{t.t('sent')}</dt>
        <dd>{when(m.sent_at)}</dd>
        <dt>{t.t('done')}</dt>
        <dd>{when(m.done_at)}</dd>
      </dl>
      {m.state === 'unknown' ? <p data-testid="unknown-note">{t.t('unknownNote')}</p> : null}
      <h3>{t.t('parts')}</h3>
      {m.parts.length === 0 ? (
        <p>{t.t('partsNone')}</p>
      ) : (
        <TableScroll label={t.t('parts')}>
          <table class="grid">
            <thead>
              <tr>
                <th scope="col">{t.t('col.seq')}</th>
                <th scope="col">{t.t('col.port')}</th>
                <th scope="col">{t.t('col.reference')}</th>
                <th scope="col">{t.t('col.state')}</th>
              </tr>
            </thead>
            <tbody>
              {m.parts.map((p) => (
                <tr key={p.seq}>
                  <td>{p.seq}</td>
                  <td>{p.port}</td>
                  <td>{p.reference ?? t.t('none')}</td>
                  <td>{msgStateWords(p.state)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {m.evidence ? (
        <section aria-labelledby={`sev-${m.id}`} data-testid="spool-evidence">
          <h3 id={`sev-${m.id}`}>{t.t('evidence')}</h3>
          <p>
            {t.t('evidenceText', {
              report: m.evidence.report_id,
              status: reportWords(m.evidence.status),
              recipient: m.evidence.recipient,
              port: m.evidence.port,
              reference: m.evidence.reference,
              received: formatDateTime(m.evidence.received_at),
              settled: formatDateTime(m.evidence.settled_at),
              rule: t.t(`rule.${m.evidence.rule}`),
            })}
          </p>
        </section>
      ) : null}
      {m.ambiguous_reports.length > 0 ? (
        <section aria-labelledby={`samb-${m.id}`} data-testid="spool-ambiguous">
          <h3 id={`samb-${m.id}`}>{t.t('ambiguous')}</h3>
          <ul>
            {m.ambiguous_reports.map((r) => (
              <li key={r.report_id}>
                {t.t('ambiguousText', {
                  report: r.report_id,
                  status: reportWords(r.status),
                  port: r.port,
                  reference: r.reference,
                  received: formatDateTime(r.received_at),
                  candidates: r.candidates.map((c) => `#${c}`).join(', '),
                })}
              </li>
            ))}
          </ul>
          <p>{t.t('ambiguousAdvice')}</p>
        </section>
      ) : null}
    </div>
  );
}

export function Details({ id, onClose }: { id: number; onClose: () => void }): JSX.Element {
  const [m, setM] = useState<Message | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    call(api.GET('/api/v1/messages/{id}', { params: { path: { id } } }))
      .then(setM)
      .catch((e: unknown) => setError((e as Error).message));
  }, [id]);
  return (
    <Dialog open title={t.t('title', { id })} onClose={onClose} wide>
      {error ? <p role="alert" class="form-error">{error}</p> : m ? <MessageFacts m={m} /> : <p aria-busy="true">{t.t('loading')}</p>}
    </Dialog>
  );
}
