#!/usr/bin/env node
// Batch jobs call `b2 worker` thousands of times: that path skips the
// command-line parser and everything the runner alone needs.
if (process.argv[2] === 'worker') {
  const { workerMain } = await import('../dist/cli/worker-entry.js');
  process.exitCode = await workerMain(process.argv.slice(3));
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv);
}
