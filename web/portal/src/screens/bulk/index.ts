import type { ScreenModule } from '../../app/modules';
import { bulkText } from './messages';

export const bulk: ScreenModule = {
  id: 'bulk',
  routes: ['/bulk', '/bulk/history', '/bulk/history/:id'],
  nav: { icon: 'megaphone', label: () => bulkText.t('nav'), section: 'main' },
  requires: 'startConversation',
  load: () => import('./Bulk').then((m) => m.Bulk),
};
