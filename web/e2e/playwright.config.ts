import { defineConfig } from '@playwright/test';

/**
 * Browser tests against real processes (see harness/stack.ts), on the system's Chromium. One
 * worker, so one browser for the whole run; global setup starts the processes once.
 */
export default defineConfig({
  testDir: './tests',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  globalSetup: './harness/global-setup.ts',
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    // Playwright gives every run a fresh temporary --user-data-dir and adds --headless and
    // --no-sandbox (chromiumSandbox: false); the rest are the flags this machine needs.
    headless: true,
    launchOptions: {
      chromiumSandbox: false,
      executablePath: process.env.SMSGATE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  },
});
