import type { ScreenModule } from '../../app/modules';
import { usersText } from './messages';

export const users: ScreenModule = {
  id: 'users',
  routes: ['/users', '/users/archive'],
  nav: { icon: 'users', label: () => usersText.t('nav'), section: 'admin' },
  requires: 'viewUsers',
  load: () => import('./Users').then((m) => m.Users),
};
