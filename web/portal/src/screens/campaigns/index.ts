import type { ScreenModule } from '../../app/modules';
import { campaignsText } from './messages';

export const campaigns: ScreenModule = {
  id: 'campaigns',
  routes: ['/campaigns', '/campaigns/:id'],
  nav: { icon: 'send', label: () => campaignsText.t('nav'), section: 'main' },
  requires: 'viewCampaigns',
  load: () => import('./Campaigns').then((m) => m.Campaigns),
};
