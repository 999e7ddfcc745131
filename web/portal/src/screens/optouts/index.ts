import type { ScreenModule } from '../../app/modules';
import { optOutText } from './messages';

export const optOuts: ScreenModule = {
  id: 'optouts',
  routes: ['/opt-outs'],
  nav: { icon: 'block', label: () => optOutText.t('nav'), section: 'main' },
  requires: 'viewOptOuts',
  load: () => import('./OptOuts').then((m) => m.OptOuts),
};
