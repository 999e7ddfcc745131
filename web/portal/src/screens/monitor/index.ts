import type { ScreenModule } from '../../app/modules';
import { monitorText } from './messages';

export const monitor: ScreenModule = {
  id: 'monitor',
  routes: ['/monitor', '/monitor/spy/:id'],
  nav: { icon: 'eye', label: () => monitorText.t('nav'), section: 'main' },
  requires: 'supervise',
  load: () => import('./Monitor').then((m) => m.Monitor),
};
