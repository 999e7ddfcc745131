import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const optOuts: ScreenModule = {
  id: 'optouts',
  routes: ['/opt-outs'],
  nav: { icon: 'block', label: () => shell.t('nav.optOuts'), section: 'main' },
  requires: 'viewOptOuts',
  load: () => import('./OptOuts').then((m) => m.OptOuts),
};
