import { join } from 'node:path';
import { saveStack, startStack, stopStack } from './stack.ts';

/**
 * Starts the real processes once for the whole run; the workers find them through
 * `SMSGATE_E2E_STACK`. The returned function is the teardown (SMSGATE_E2E_KEEP=1 keeps the
 * temp dir with the processes' logs).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const stack = await startStack();
  const file = join(stack.dir, 'stack.json');
  saveStack(stack, file);
  process.env.SMSGATE_E2E_STACK = file;
  return async () => stopStack(stack, process.env.SMSGATE_E2E_KEEP === '1');
}
