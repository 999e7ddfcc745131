import type { ScreenModule } from '../../app/modules';
import { gatewaysText } from './messages';

export const gateways: ScreenModule = {
  id: 'gateways',
  routes: ['/gateways'],
  nav: { icon: 'server', label: () => gatewaysText.t('nav'), section: 'admin' },
  requires: 'manageGateways',
  load: () => import('./Gateways').then((m) => m.Gateways),
};
