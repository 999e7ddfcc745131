import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const webhooks: ScreenModule = {
  id: 'webhooks',
  routes: ['/webhooks'],
  nav: { icon: 'send', label: () => shell.t('nav.webhooks'), section: 'admin' },
  requires: 'manageWebhooks',
  load: () => import('./Webhooks').then((m) => m.Webhooks),
};
