import type { ScreenModule } from '../../app/modules';
import { apiKeysText } from './messages';

export const apiKeys: ScreenModule = {
  id: 'apikeys',
  routes: ['/api-keys'],
  nav: { icon: 'key', label: () => apiKeysText.t('nav'), section: 'admin' },
  requires: 'manageApiKeys',
  load: () => import('./ApiKeys').then((m) => m.ApiKeys),
};
