import type { ScreenModule } from '../../app/modules';
import { reportsText } from './messages';

export const reports: ScreenModule = {
  id: 'reports',
  routes: ['/reports'],
  nav: { icon: 'list', label: () => reportsText.t('nav'), section: 'main' },
  requires: 'viewReports',
  load: () => import('./Reports').then((m) => m.Reports),
};
