import type { ScreenModule } from '../../app/modules';
import { auditText } from './messages';

export const audit: ScreenModule = {
  id: 'audit',
  routes: ['/audit'],
  nav: { icon: 'lock', label: () => auditText.t('nav'), section: 'admin' },
  requires: 'viewAudit',
  load: () => import('./Audit').then((m) => m.Audit),
};
