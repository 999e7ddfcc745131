/**
 * The portal's screens are modules. A module names its routes, its entry in the side menu, the
 * capability it needs and its component (loaded on first use); its strings live in its own
 * catalogue next to it. Adding a screen = one folder in `screens/` + one line in
 * `screens/index.ts`.
 */
import type { IconName } from '@smsgate/shared/components/Icon';
import type { ComponentType } from 'preact';
import type { Capability } from './roles';

export interface ScreenProps {
  /** Route parameters (`:id` …). */
  params: Record<string, string | undefined>;
}

export interface ScreenModule {
  id: string;
  /** Route patterns; the first is where the menu entry leads. */
  routes: string[];
  nav: {
    icon: IconName;
    /** Read at render time, so it follows the language. */
    label: () => string;
    section: 'main' | 'admin';
  };
  /** Without it the menu hides the entry and the route shows "no access". */
  requires: Capability;
  load: () => Promise<ComponentType<ScreenProps>>;
}
