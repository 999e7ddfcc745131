import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Rust build script (web/embed) sets SMSGATE_WEB_OUT_DIR to a directory under cargo's OUT_DIR.
const outDir = process.env.SMSGATE_WEB_OUT_DIR ?? 'dist';

export default defineConfig({
  resolve: {
    // The shared toolkit is TypeScript source, imported as `@smsgate/shared/<path>`.
    alias: { '@smsgate/shared': fileURLToPath(new URL('../shared/src', import.meta.url)) },
  },
  test: { environment: 'happy-dom', include: ['src/**/*.test.{ts,tsx}'] },
  plugins: [preact()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // No inline script: the module-preload polyfill would be one (CSP: script-src 'self').
    modulePreload: { polyfill: false },
    // Everything as files: nothing becomes a data: URL.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npm run dev -w box` against a running gateway (smsgate demo: its gateway API address).
    proxy: { '/api': { target: process.env.SMSGATE_GATEWAY ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
