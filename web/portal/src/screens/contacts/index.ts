import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const contacts: ScreenModule = {
  id: 'contacts',
  routes: ['/contacts', '/contacts/lists', '/contacts/lists/:id'],
  nav: { icon: 'contacts', label: () => shell.t('nav.contacts'), section: 'main' },
  requires: 'viewContacts',
  load: () => import('./Contacts').then((m) => m.Contacts),
};
