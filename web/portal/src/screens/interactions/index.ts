import type { ScreenModule } from '../../app/modules';
import { interactionsText } from './messages';

export const interactions: ScreenModule = {
  id: 'interactions',
  routes: ['/interactions', '/interactions/:id'],
  nav: { icon: 'archive', label: () => interactionsText.t('nav'), section: 'main' },
  requires: 'viewInbox',
  load: () => import('./Interactions').then((m) => m.Interactions),
};
