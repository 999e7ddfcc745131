/**
 * The logged-in frame both front ends share: skip link, header, side menu (a drawer with a
 * scrim on narrow screens), and the main content. It starts the app's live connection while
 * it is shown.
 */
import { signal } from '@preact/signals';
import type { ComponentChildren, JSX } from 'preact';
import { useEffect } from 'preact/hooks';

const NARROW = '(max-width: 900px)';
const narrow = typeof matchMedia === 'function' ? matchMedia(NARROW) : undefined;

/** Side menu open? Closed by default on phones, open on desktops. */
export const menuOpen = signal(!(narrow?.matches ?? false));

/** Closes the side menu after a choice, on a phone only (on a desktop it stays). */
export function closeMenuOnPhone(): void {
  if (narrow?.matches) menuOpen.value = false;
}

export interface AppFrameProps {
  /** The skip link's text ("Skip to content"), in the current language. */
  skipLabel: string;
  /** The app's live connection, started while the frame is shown. */
  live: { start(): void; stop(): void };
  header: JSX.Element;
  sidebar: JSX.Element;
  children: ComponentChildren;
}

export function AppFrame({ skipLabel, live, header, sidebar, children }: AppFrameProps): JSX.Element {
  useEffect(() => {
    live.start();
    const onChange = (e: MediaQueryListEvent) => {
      menuOpen.value = !e.matches;
    };
    narrow?.addEventListener('change', onChange);
    return () => {
      live.stop();
      narrow?.removeEventListener('change', onChange);
    };
  }, []);
  return (
    <div class={`shell${menuOpen.value ? ' menu-open' : ''}`}>
      <a class="skip-link" href="#main">{skipLabel}</a>
      {header}
      <div class="shell-body">
        {sidebar}
        {menuOpen.value ? <button type="button" class="scrim" tabIndex={-1} aria-hidden="true" onClick={() => (menuOpen.value = false)} /> : null}
        <main id="main" class="content" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
