import base from './playwright.config.ts';
import { defineConfig } from '@playwright/test';

/** `npm run bench -w e2e`: the portal benchmarks (bench/), same processes and browser as the tests. */
export default defineConfig({ ...base, testDir: './bench', testMatch: '*.bench.ts', timeout: 300_000 });
