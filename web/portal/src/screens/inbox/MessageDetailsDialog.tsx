/**
 * One message's details: who, when, its delivery state and, for an `unknown` outcome, what
 * that means for the customer and what the gateway recorded (issue 17), in the reader's
 * language, with the gateway's own words kept below.
 */
import { Dialog } from '@smsgate/shared/components/Dialog';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import type { Message } from '../../api/hub';
import { type Fact, readEvidence, unknownCause } from './evidence';
import { messageText as t } from './messageMessages';
import { tickLabel } from './Ticks';

const PART_STATES = ['queued', 'sending', 'sent', 'delivered', 'failed', 'unknown'] as const;
const REPORT_STATUSES = ['delivered', 'failed', 'pending'] as const;

function partState(s: string): string {
  const k = PART_STATES.find((x) => x === s);
  return k ? t.t(`partState.${k}`) : s;
}

function reportStatus(s: string): string {
  const k = REPORT_STATUSES.find((x) => x === s);
  return k ? t.t(`reportStatus.${k}`) : s;
}

/** One recognised fact as a sentence (raw facts are shown as written). */
export function factText(f: Fact): string {
  switch (f.kind) {
    case 'attempt':
      return f.port === null ? t.t('fact.attemptNoPort', { attempt: f.attempt }) : t.t('fact.attempt', { attempt: f.attempt, port: f.port });
    case 'noPart':
      return t.t('fact.noPart');
    case 'part':
      return f.reference === null
        ? t.t('fact.partNoRef', { seq: f.seq, state: partState(f.state), port: f.port })
        : t.t('fact.part', { seq: f.seq, state: partState(f.state), port: f.port, reference: f.reference });
    case 'settled':
      return t.t('fact.settled', { status: reportStatus(f.status), port: f.port, reference: f.reference });
    case 'ambiguous':
      return t.t('fact.ambiguous', { status: reportStatus(f.status), port: f.port, reference: f.reference, candidates: f.candidates });
    case 'raw':
      return f.text;
  }
}

/** The explanation of an unknown outcome with the gateway's evidence (also used in the bubble's dialog). */
export function UnknownEvidence({ message: m }: { message: Message }): JSX.Element {
  const cause = unknownCause(m.error);
  return (
    <section class="evidence" aria-labelledby={`ev-${m.id}`} data-testid="unknown-evidence">
      <h3 id={`ev-${m.id}`}>{t.t('unknown.heading')}</h3>
      <p>{t.t('unknown.explain')}</p>
      <p><strong>{t.t('unknown.advice')}</strong></p>
      {cause ? <p>{t.t('unknown.cause', { cause })}</p> : null}
      <h4>{t.t('unknown.evidence')}</h4>
      <Facts evidence={m.evidence} />
    </section>
  );
}

function Facts({ evidence }: { evidence: string | null | undefined }): JSX.Element {
  const facts = readEvidence(evidence);
  return (
    <>
      {facts.length === 0 ? (
        <p>{t.t('unknown.noEvidence')}</p>
      ) : (
        <ul class="evidence-facts">
          {facts.map((f, i) => (
            <li key={i} data-fact={f.kind}>{factText(f)}</li>
          ))}
        </ul>
      )}
      {evidence ? (
        <p class="evidence-raw">
          <span class="muted">{t.t('unknown.raw')}: </span>
          <code>{evidence}</code>
        </p>
      ) : null}
    </>
  );
}

/** A message whose unknown outcome a later delivery report settled: the evidence stays in view. */
export function SettledEvidence({ message: m }: { message: Message }): JSX.Element {
  return (
    <section class="evidence evidence-settled" aria-labelledby={`ev-${m.id}`} data-testid="settled-evidence">
      <h3 id={`ev-${m.id}`}>{t.t('settledBy.heading')}</h3>
      <p>{t.t('settledBy.explain')}</p>
      <h4>{t.t('unknown.evidence')}</h4>
      <Facts evidence={m.evidence} />
    </section>
  );
}

export function MessageDetailsDialog({ message: m, onClose }: { message: Message; onClose: () => void }): JSX.Element {
  const none = t.t('none');
  const out = m.direction === 'outbound';
  return (
    <Dialog open title={t.t('title')} onClose={onClose}>
      <dl class="facts" data-testid="message-details">
        <dt>{t.t('direction')}</dt>
        <dd>{out ? t.t('outbound') : t.t('inbound')}</dd>
        <dt>{t.t('from')}</dt>
        <dd>{m.from || none}</dd>
        <dt>{t.t('to')}</dt>
        <dd>{m.to || none}</dd>
        <dt>{t.t('created')}</dt>
        <dd>{formatDateTime(m.created_at)}</dd>
        <dt>{t.t('updated')}</dt>
        <dd>{formatDateTime(m.updated_at)}</dd>
        <dt>{t.t('state')}</dt>
        <dd data-state={m.state}>{tickLabel(m)}</dd>
        {m.error && m.state !== 'unknown' ? (
          <>
            <dt>{t.t('error')}</dt>
            <dd>{m.error}</dd>
          </>
        ) : null}
      </dl>
      {m.state === 'unknown' ? <UnknownEvidence message={m} /> : m.evidence ? <SettledEvidence message={m} /> : null}
    </Dialog>
  );
}
