/** The delivery mark of a message: clock, one tick (sent), two ticks (delivered), or a failure. */
import { Icon } from '@smsgate/shared/components/Icon';
import type { JSX } from 'preact';
import type { Message } from '../../api/hub';
import { inboxText as t } from './messages';

export function tickLabel(m: Message): string {
  switch (m.state) {
    case 'received':
      return t.t('ticks.received');
    case 'queued':
      return t.t('ticks.queued');
    case 'accepted':
      return t.t('ticks.accepted');
    case 'sent':
      return t.t('ticks.sent');
    case 'delivered':
      return t.t('ticks.delivered');
    case 'failed':
      return t.t('ticks.failed', { reason: m.error || t.t('ticks.unknownReason') });
    case 'expired':
      return t.t('ticks.expired');
    case 'cancelled':
      return t.t('ticks.cancelled');
    case 'unknown':
      return t.t('ticks.unknown');
  }
}

export function Ticks({ message }: { message: Message }): JSX.Element | null {
  if (message.direction === 'inbound') return null;
  const label = tickLabel(message);
  const s = message.state;
  const icon = s === 'delivered' ? 'checks' : s === 'sent' ? 'check' : s === 'queued' || s === 'accepted' ? 'clock' : 'alert';
  const failed = s === 'failed' || s === 'expired' || s === 'cancelled' || s === 'unknown';
  return (
    <span class={`ticks ticks-${s}`} data-state={s}>
      <Icon name={icon} size={16} label={label} />
      {failed ? <span class="ticks-reason">{label}</span> : null}
    </span>
  );
}
