/**
 * Light and dark themes. The choice (light, dark, or the device's) is remembered; the resolved
 * theme is the `data-theme` attribute of `<html>`, which the CSS variables in
 * `styles/tokens.css` follow.
 */
import { computed, effect, signal } from '@preact/signals';

export type ThemeChoice = 'light' | 'dark' | 'system';
export type Theme = 'light' | 'dark';

const STORAGE_KEY = 'smsgate.theme';

function saved(): ThemeChoice {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (v === 'light' || v === 'dark' || v === 'system') return v;
  } catch {
    // storage disabled
  }
  return 'system';
}

const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;
const systemDark = signal(media?.matches ?? false);
media?.addEventListener('change', (e) => {
  systemDark.value = e.matches;
});

export const themeChoice = signal<ThemeChoice>(saved());

export const theme = computed<Theme>(() =>
  themeChoice.value === 'system' ? (systemDark.value ? 'dark' : 'light') : themeChoice.value,
);

export function setTheme(choice: ThemeChoice): void {
  themeChoice.value = choice;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, choice);
  } catch {
    // not remembered
  }
}

if (typeof document !== 'undefined') {
  effect(() => {
    const t = theme.value;
    document.documentElement.dataset.theme = t;
    document.documentElement.style.colorScheme = t;
    const meta = document.querySelector('meta[name="theme-color"]');
    meta?.setAttribute('content', t === 'dark' ? '#111827' : '#ffffff');
  });
}
