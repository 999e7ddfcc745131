import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const queues: ScreenModule = {
  id: 'queues',
  routes: ['/queues'],
  nav: { icon: 'queue', label: () => shell.t('nav.queues'), section: 'admin' },
  requires: 'viewQueues',
  load: () => import('./Queues').then((m) => m.Queues),
};
