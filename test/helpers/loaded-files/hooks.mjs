// Module hooks for test/cli/worker-startup.test.ts: every file a process resolves is appended to $B2_TEST_LOADED_LOG.
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.B2_TEST_LOADED_LOG && result.url.startsWith('file:')) appendFileSync(process.env.B2_TEST_LOADED_LOG, `${result.url}\n`);
  return result;
}
