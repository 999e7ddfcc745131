/** Inline SVG icons (no icon font, no network). Decorative unless given a `label`. */
import type { JSX } from 'preact';

const PATHS = {
  menu: 'M3 6h18M3 12h18M3 18h18',
  close: 'M6 6l12 12M18 6L6 18',
  search: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zm10 17l-5.2-5.2',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  checks: 'M2 12.5l4.5 4.5L16 7.5M9.5 16l1 1L20 7.5',
  clock: 'M12 7v5l3 2m6-2a9 9 0 1 1-18 0 9 9 0 0 1 18 0z',
  alert: 'M12 8v5m0 3.5v.01M10.3 3.9L2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  more: 'M12 5v.01M12 12v.01M12 19v.01',
  smile: 'M8 14s1.5 2 4 2 4-2 4-2M9 9.5v.01M15 9.5v.01M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0z',
  info: 'M12 11v5m0-8.5v.01M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0z',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 8a7 7 0 0 1 14 0',
  userPlus: 'M10 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 8a7 7 0 0 1 14 0M19 8v6m-3-3h6',
  transfer: 'M4 8h13l-3-3m3 3l-3 3M20 16H7l3-3m-3 3l3 3',
  pause: 'M9 5v14M15 5v14',
  release: 'M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-6 8a6 6 0 0 1 12 0m-2 0a6 6 0 0 1 10 0',
  archive: 'M4 7h16v13H4zM2 3h20v4H2zm8 8h4',
  inbox: 'M3 13h5l2 3h4l2-3h5M5 5h14l2 8v6H3v-6z',
  list: 'M8 6h13M8 12h13M8 18h13M3 6v.01M3 12v.01M3 18v.01',
  plus: 'M12 5v14M5 12h14',
  sun: 'M12 17a5 5 0 1 0 0-10 5 5 0 0 0 0 10zM12 1v2m0 18v2M4.2 4.2l1.4 1.4m12.8 12.8l1.4 1.4M1 12h2m18 0h2M4.2 19.8l1.4-1.4M18.4 5.6l1.4-1.4',
  moon: 'M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z',
  logout: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4m7 14l5-5-5-5m5 5H9',
  globe: 'M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0zM3 12h18M12 3a14 14 0 0 1 0 18 14 14 0 0 1 0-18z',
  key: 'M15 7a4 4 0 1 1-3.5 6L4 20.5V17h3v-3h3l1.5-1.5A4 4 0 0 1 15 7z',
  chevronDown: 'M6 9l6 6 6-6',
  back: 'M15 6l-6 6 6 6',
  lock: 'M6 11h12v10H6zm2 0V7a4 4 0 0 1 8 0v4',
  filter: 'M3 5h18l-7 8v6l-4 2v-8z',
  eye: 'M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12zm10 3a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
  dot: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8z',
  trash: 'M4 7h16M10 11v6m4-6v6M6 7l1 13h10l1-13M9 7V4h6v3',
  edit: 'M4 20h4L19 9l-4-4L4 16v4zm9-13l4 4',
  upload: 'M12 16V4m0 0L7 9m5-5l5 5M4 16v4h16v-4',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  users: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9a7 7 0 0 1 14 0m1-9a3 3 0 1 0 0-6m2 15h3a6 6 0 0 0-4-5.7',
  contacts: 'M5 3h13a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H5zm7 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-4 5a4 4 0 0 1 8 0M3 7h2m-2 5h2m-2 5h2',
  megaphone: 'M3 10v4h4l6 5V5L7 10H3zm14-2a5 5 0 0 1 0 8',
  block: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM5.6 5.6l12.8 12.8',
  queue: 'M4 6h16M4 12h10M4 18h6',
  channel: 'M7 2h10v20H7zm4 16h2',
  building: 'M4 21V4h10v17M14 9h6v12M8 8h2m-2 4h2m-2 4h2M2 21h20',
  server: 'M4 4h16v6H4zm0 10h16v6H4zm3-7v.01M7 17v.01',
  refresh: 'M20 11a8 8 0 0 0-14.9-3M4 4v4h4m-4 5a8 8 0 0 0 14.9 3M20 20v-4h-4',
  login: 'M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4M10 17l5-5-5-5m5 5H3',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, label, size = 20, class: cls }: { name: IconName; label?: string; size?: number; class?: string }): JSX.Element {
  return (
    <svg
      class={cls ? `icon ${cls}` : 'icon'}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : 'true'}
      focusable="false"
    >
      {label ? <title>{label}</title> : null}
      <path d={PATHS[name]} />
    </svg>
  );
}
