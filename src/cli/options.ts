/** What every command shares: the exit codes and the options all of them accept. */
import type { Command } from 'commander';

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  /** Tasks failed (or, for --dry-run, work is pending). */
  failed: 1,
  /** Bad input: nothing was run. */
  usage: 2,
  /** A bug in b2. */
  internal: 70,
  interrupted: 130,
} as const;

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Options every command accepts. */
export const commonOptions = (command: Command): Command =>
  command
    .option('--setting <key=value>', 'set any setting (repeatable; values parsed as JSON when they parse)', collect, [])
    .option('--verbose', 'print stack traces and more detail');
