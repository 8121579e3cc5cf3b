/**
 * `b2 worker` as seen by the command-line parser (help text, and calls that
 * do not come first in argv). Batch jobs reach worker-entry.ts directly
 * through bin/b2.js without loading the parser.
 */
import type { Command } from 'commander';
import { workerMain } from '../worker-entry.js';

export const registerWorkerCommand = (program: Command): void => {
  program
    .command('worker')
    .description('run exactly one task of a submitted run (what each batch job executes)')
    .requiredOption('--task-id <id>', 'the task to run')
    .option('--run-dir <dir>', 'the run folder written at submission (default: $B2_RUN_DIR)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (options: { taskId: string; runDir?: string }, command: Command) => {
      const args = ['--task-id', options.taskId, ...(options.runDir ? ['--run-dir', options.runDir] : []), ...command.args];
      process.exitCode = await workerMain(args);
    });
};
