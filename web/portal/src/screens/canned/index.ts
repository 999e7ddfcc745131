import type { ScreenModule } from '../../app/modules';
import { cannedText } from './messages';

export const canned: ScreenModule = {
  id: 'canned',
  routes: ['/canned'],
  nav: { icon: 'list', label: () => cannedText.t('nav'), section: 'admin' },
  requires: 'manageCanned',
  load: () => import('./Canned').then((m) => m.Canned),
};
