import { Dialog } from '@smsgate/shared/components/Dialog';
import { formatDateTime, formatNumber } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import type { Interaction } from '../../api/hub';
import { channelById, contactName, queueById } from '../../app/directory';
import { assigneeLabel } from './ConversationList';
import { inboxText as t } from './messages';

/** The seed's "label" action: what the conversation is, on which channel. */
export function DetailsDialog({ conversation: c, messages, onClose }: { conversation: Interaction; messages: number; onClose: () => void }): JSX.Element {
  const channel = channelById.value.get(c.channel_id);
  const none = t.t('details.none');
  return (
    <Dialog open title={t.t('details.title')} onClose={onClose}>
      <dl class="facts">
        <dt>{t.t('details.number')}</dt>
        <dd>{c.contact_number}</dd>
        <dt>{t.t('details.contact')}</dt>
        <dd>{contactName(c.org_id, c.contact_number) ?? none}</dd>
        <dt>{t.t('details.channel')}</dt>
        <dd>{channel?.sim_number ?? none}</dd>
        <dt>{t.t('details.gateway')}</dt>
        <dd>{channel ? channel.port : none}</dd>
        <dt>{t.t('details.status')}</dt>
        <dd>{t.t(`status.${c.status}`)}</dd>
        <dt>{t.t('details.queue')}</dt>
        <dd>{c.queue_id ? (queueById.value.get(c.queue_id)?.name ?? none) : none}</dd>
        <dt>{t.t('details.assignee')}</dt>
        <dd>{assigneeLabel(c) ?? none}</dd>
        <dt>{t.t('details.started')}</dt>
        <dd>{formatDateTime(c.created_at)}</dd>
        <dt>{t.t('details.updated')}</dt>
        <dd>{formatDateTime(c.updated_at)}</dd>
        <dt>{t.t('details.messages')}</dt>
        <dd>{formatNumber(messages)}</dd>
      </dl>
    </Dialog>
  );
}
