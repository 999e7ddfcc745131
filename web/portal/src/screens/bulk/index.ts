import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const bulk: ScreenModule = {
  id: 'bulk',
  routes: ['/bulk', '/bulk/history', '/bulk/history/:id'],
  nav: { icon: 'megaphone', label: () => shell.t('nav.bulk'), section: 'main' },
  requires: 'startConversation',
  load: () => import('./Bulk').then((m) => m.Bulk),
};
