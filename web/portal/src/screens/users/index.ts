import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const users: ScreenModule = {
  id: 'users',
  routes: ['/users', '/users/archive'],
  nav: { icon: 'users', label: () => shell.t('nav.users'), section: 'admin' },
  requires: 'viewUsers',
  load: () => import('./Users').then((m) => m.Users),
};
