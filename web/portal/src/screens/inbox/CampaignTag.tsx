/** The campaign a conversation answered (the seed's campaign name at the top of an interaction). */
import type { JSX } from 'preact';
import { Link } from 'wouter-preact';
import type { CampaignRef } from '../../api/hub';
import { inboxText as t } from './messages';

/**
 * "Reply to campaign {name}": a link to the campaign for who may view campaigns (`link`), its
 * name alone otherwise (and inside a list row, which is itself a link). A campaign deleted since
 * keeps its name, says so, and has no link (there is nothing left to open).
 */
export function CampaignTag({ campaign, link }: { campaign: CampaignRef; link: boolean }): JSX.Element {
  return (
    <span class="conv-campaign" data-testid="conv-campaign" data-deleted={campaign.deleted ? 'true' : undefined}>
      {t.t('campaign.replyTo')}{' '}
      {link && !campaign.deleted ? <Link href={`/campaigns/${campaign.id}`}>{campaign.name}</Link> : <strong>{campaign.name}</strong>}
      {campaign.deleted ? ` ${t.t('campaign.deleted')}` : null}
    </span>
  );
}
