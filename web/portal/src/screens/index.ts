/**
 * Every screen of the portal, in menu order. To add one: create `screens/<name>/index.ts`
 * exporting a `ScreenModule` (routes, menu entry, capability, lazy component; its strings in a
 * `messages.ts` beside it) and add it here.
 */
import type { ScreenModule } from '../app/modules';
import { bulk } from './bulk';
import { campaigns } from './campaigns';
import { contacts } from './contacts';
import { inbox } from './inbox';
import { interactions } from './interactions';
import { monitor } from './monitor';
import { optOuts } from './optouts';
import { queues } from './queues';
import { users } from './users';
import { channelsScreen } from './channels';
import { tenantsScreen } from './tenants';
import { gateways } from './gateways';
import { apiKeys } from './apikeys';
import { webhooks } from './webhooks';
import { reports } from './reports';
import { notifications } from './notifications';
import { canned } from './canned';
import { audit } from './audit';

export const SCREENS: readonly ScreenModule[] = [inbox, interactions, monitor, contacts, bulk, optOuts, users, queues, channelsScreen, tenantsScreen, gateways, apiKeys, webhooks, reports, notifications, canned, audit, campaigns];
