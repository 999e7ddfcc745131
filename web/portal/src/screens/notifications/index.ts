import type { ScreenModule } from '../../app/modules';
import { notificationsText } from './messages';

export const notifications: ScreenModule = {
  id: 'notifications',
  routes: ['/notifications', '/notifications/log'],
  nav: { icon: 'alert', label: () => notificationsText.t('nav'), section: 'admin' },
  requires: 'manageNotifications',
  load: () => import('./Notifications').then((m) => m.Notifications),
};
