import type { ScreenModule } from '../../app/modules';
import { contactsText } from './messages';

export const contacts: ScreenModule = {
  id: 'contacts',
  routes: ['/contacts', '/contacts/lists', '/contacts/lists/:id'],
  nav: { icon: 'contacts', label: () => contactsText.t('nav'), section: 'main' },
  requires: 'viewContacts',
  load: () => import('./Contacts').then((m) => m.Contacts),
};
