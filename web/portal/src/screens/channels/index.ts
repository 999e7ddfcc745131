import type { ScreenModule } from '../../app/modules';
import { channelsText } from './messages';

export const channelsScreen: ScreenModule = {
  id: 'channels',
  routes: ['/channels', '/channels/distributed'],
  nav: { icon: 'channel', label: () => channelsText.t('nav'), section: 'admin' },
  requires: 'configureChannels',
  load: () => import('./Channels').then((m) => m.Channels),
};
