import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import { CampaignTag } from './CampaignTag';

const promo = { id: '0190a000-0000-7000-8000-00000000000c', name: 'Winter sale' };

function shown(link: boolean, campaign: { id: string; name: string; deleted?: boolean } = promo): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  render(<CampaignTag campaign={campaign} link={link} />, root);
  return root;
}

describe('the campaign a conversation answered', () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
  });

  it('names the campaign with a link to it for who may view campaigns', () => {
    const tag = shown(true).querySelector('[data-testid="conv-campaign"]');
    expect(tag?.textContent).toBe('Reply to campaign Winter sale');
    expect(tag?.querySelector('a')?.getAttribute('href')).toBe(`/campaigns/${promo.id}`);
  });

  it('names it without a link otherwise, in French too', () => {
    setLocale('fr');
    const tag = shown(false).querySelector('[data-testid="conv-campaign"]');
    expect(tag?.textContent).toBe('Réponse à la campagne Winter sale');
    expect(tag?.querySelector('a')).toBeNull();
  });

  it('says a deleted campaign is deleted and links nowhere, even for who may view campaigns', () => {
    const tag = shown(true, { ...promo, deleted: true }).querySelector('[data-testid="conv-campaign"]');
    expect(tag?.textContent).toBe('Reply to campaign Winter sale (campaign deleted)');
    expect(tag?.querySelector('a')).toBeNull();
    expect(tag?.getAttribute('data-deleted')).toBe('true');
  });

  it('says it in French too', () => {
    setLocale('fr');
    const tag = shown(true, { ...promo, deleted: true }).querySelector('[data-testid="conv-campaign"]');
    expect(tag?.textContent).toBe('Réponse à la campagne Winter sale (campagne supprimée)');
    expect(tag?.querySelector('a')).toBeNull();
  });
});
