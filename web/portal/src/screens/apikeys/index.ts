import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const apiKeys: ScreenModule = {
  id: 'apikeys',
  routes: ['/api-keys'],
  nav: { icon: 'key', label: () => shell.t('nav.apiKeys'), section: 'admin' },
  requires: 'manageApiKeys',
  load: () => import('./ApiKeys').then((m) => m.ApiKeys),
};
