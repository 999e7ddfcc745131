import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { environment: 'happy-dom', include: ['src/**/*.test.{ts,tsx}'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
