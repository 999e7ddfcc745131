import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const gateways: ScreenModule = {
  id: 'gateways',
  routes: ['/gateways'],
  nav: { icon: 'server', label: () => shell.t('nav.gateways'), section: 'admin' },
  requires: 'manageGateways',
  load: () => import('./Gateways').then((m) => m.Gateways),
};
