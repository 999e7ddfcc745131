import type { ScreenModule } from '../../app/modules';
import { tenantsText } from './messages';

export const tenantsScreen: ScreenModule = {
  id: 'tenants',
  routes: ['/tenants', '/tenants/resellers'],
  nav: { icon: 'building', label: () => tenantsText.t('nav'), section: 'admin' },
  requires: 'manageTenants',
  load: () => import('./Tenants').then((m) => m.Tenants),
};
