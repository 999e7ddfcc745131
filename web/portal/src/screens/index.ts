/**
 * Every screen of the portal, in menu order. To add one: create `screens/<name>/index.ts`
 * exporting a `ScreenModule` (routes, menu entry, capability, lazy component; its strings in a
 * `messages.ts` beside it) and add it here.
 */
import type { ScreenModule } from '../app/modules';
import { campaigns } from './campaigns';
import { inbox } from './inbox';
import { interactions } from './interactions';
import { monitor } from './monitor';

export const SCREENS: readonly ScreenModule[] = [inbox, interactions, monitor, campaigns];
