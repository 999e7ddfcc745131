import type { ScreenModule } from '../../app/modules';
// The menu label comes from the shell's catalogue, so this screen's strings load with the screen.
import { shell } from '../../app/messages';

export const channelsScreen: ScreenModule = {
  id: 'channels',
  routes: ['/channels', '/channels/distributed'],
  nav: { icon: 'channel', label: () => shell.t('nav.channels'), section: 'admin' },
  requires: 'configureChannels',
  load: () => import('./Channels').then((m) => m.Channels),
};
