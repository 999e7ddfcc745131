import type { ScreenModule } from '../../app/modules';
import { queuesText } from './messages';

export const queues: ScreenModule = {
  id: 'queues',
  routes: ['/queues'],
  nav: { icon: 'queue', label: () => queuesText.t('nav'), section: 'admin' },
  requires: 'viewQueues',
  load: () => import('./Queues').then((m) => m.Queues),
};
