import type { ScreenModule } from '../../app/modules';
import { inboxText } from './messages';

export const inbox: ScreenModule = {
  id: 'inbox',
  routes: ['/inbox', '/inbox/:id'],
  nav: { icon: 'inbox', label: () => inboxText.t('nav'), section: 'main' },
  requires: 'viewInbox',
  load: () => import('./Inbox').then((m) => m.Inbox),
};
