/**
 * Vite plugin: the app shell's service worker. At build time it emits `/sw.js` from
 * `shared/vite/sw-template.js` with the list of every built file and a version derived from
 * their names (content hashes), so a new build installs a new worker and drops the old cache.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

export interface ShellWorkerOptions {
  /** Cache name prefix (one per app). */
  name: string;
  /** URL prefixes the worker never answers (the API, the event stream). */
  bypass: string[];
}

export function shellServiceWorker(options: ShellWorkerOptions): Plugin {
  return {
    name: 'smsgate-shell-service-worker',
    apply: 'build',
    generateBundle(_out, bundle) {
      const files = Object.keys(bundle)
        .filter((f) => !f.endsWith('.map') && f !== 'sw.js')
        .map((f) => `/${f}`)
        .sort();
      const publicFiles = ['/manifest.webmanifest', '/icon.svg', '/icon-192.png', '/icon-512.png', '/boot.js'];
      const shell = ['/', ...new Set([...files.filter((f) => f !== '/index.html'), ...publicFiles])];
      const version = createHash('sha256').update(JSON.stringify(shell)).digest('hex').slice(0, 12);
      const template = readFileSync(fileURLToPath(new URL('./sw-template.js', import.meta.url)), 'utf8');
      const source = template
        .replace('__CACHE__', JSON.stringify(`${options.name}-${version}`))
        .replace('__PREFIX__', JSON.stringify(`${options.name}-`))
        .replace('__SHELL__', JSON.stringify(shell))
        .replace('__BYPASS__', JSON.stringify(options.bypass));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}
