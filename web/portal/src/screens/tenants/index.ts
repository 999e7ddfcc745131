import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const tenantsScreen: ScreenModule = {
  id: 'tenants',
  routes: ['/tenants', '/tenants/resellers'],
  nav: { icon: 'building', label: () => shell.t('nav.tenants'), section: 'admin' },
  requires: 'manageTenants',
  load: () => import('./Tenants').then((m) => m.Tenants),
};
