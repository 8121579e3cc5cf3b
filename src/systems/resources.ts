/**
 * Shared by the batch adapters: generic resources checked and converted to
 * each system's units, checks that keep a setting from breaking the line it
 * is written to, argv batching, and the Failures for command output that
 * says something went wrong.
 */
import { UserError, type Failure } from '../errors.js';
import type { BinaryLookup, Command, Resources } from './contract.js';

/** Ids per status, history or kill command: far below any argv limit, small enough for a quick answer. */
export const IDS_PER_COMMAND = 500;

export const badSettings = (message: string, hint?: string): UserError =>
  new UserError('bad-batch-settings', message, hint === undefined ? {} : { hint });

/** A command for `name`, after the `batch_commands` mapping. */
export const command = (bin: BinaryLookup, name: string, args: readonly string[], cwd?: string): Command => ({
  argv: [...bin(name), ...args],
  ...(cwd === undefined ? {} : { cwd }),
});

/** `items` in consecutive groups of at most `size`. */
export const chunk = <T>(items: readonly T[], size = IDS_PER_COMMAND): T[][] => {
  const groups: T[][] = [];
  for (let start = 0; start < items.length; start += size) groups.push(items.slice(start, start + size));
  return groups;
};

/** Resources with whole units: cpus and memory as positive integers, walltime in whole seconds. */
export interface CheckedResources {
  readonly cpus?: number;
  readonly memoryMb?: number;
  readonly walltimeSeconds?: number;
  readonly queue?: string;
}

const positive = (what: string, value: number | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) throw badSettings(`${what} must be a positive number, got ${String(value)}`);
  return Math.ceil(value);
};

/** Validate generic resources; fractional memory and walltime round up so a job never gets less than asked. */
export const checkResources = (resources: Resources): CheckedResources => {
  const { cpus, queue } = resources;
  if (cpus !== undefined && !(Number.isInteger(cpus) && cpus > 0)) {
    throw badSettings(`cpus must be a positive whole number, got ${String(cpus)}`);
  }
  if (queue !== undefined && (queue.trim() === '' || /[\n\r\0]/.test(queue))) {
    throw badSettings(`queue ${JSON.stringify(queue)} is not a usable queue name`);
  }
  const memoryMb = positive('memory', resources.memoryMb);
  const walltimeSeconds = positive('walltime', resources.walltimeSeconds);
  return {
    ...(cpus === undefined ? {} : { cpus }),
    ...(memoryMb === undefined ? {} : { memoryMb }),
    ...(walltimeSeconds === undefined ? {} : { walltimeSeconds }),
    ...(queue === undefined ? {} : { queue }),
  };
};

const twoDigits = (n: number): string => String(n).padStart(2, '0');

/** `H:MM:SS`, hours unbounded (Grid Engine h_rt, and Slurm below one day). */
export const clockTime = (seconds: number): string =>
  `${Math.floor(seconds / 3600)}:${twoDigits(Math.floor((seconds % 3600) / 60))}:${twoDigits(seconds % 60)}`;

/** Whole minutes, rounded up (LSF -W). */
export const wholeMinutes = (seconds: number): number => Math.ceil(seconds / 60);

/** A setting value, or a generated one, must stay on its own line. */
export const rejectLineBreaks = (what: string, value: string): void => {
  if (/[\n\r\0]/.test(value)) throw badSettings(`${what} contains a line break or NUL character, which cannot be written to a submit file`);
};

/** The paths a batch script writes into itself (the wrapper, the task's logs): each one line. */
export const rejectLineBreaksInScriptPaths = (job: { readonly wrapperPath: string; readonly stdoutPath: string; readonly stderrPath: string }): void => {
  rejectLineBreaks('the job wrapper path', job.wrapperPath);
  rejectLineBreaks('the stdout path', job.stdoutPath);
  rejectLineBreaks('the stderr path', job.stderrPath);
};

/** Keys of a per-system settings dict become option names: no dashes, spaces or quotes. */
export const checkOptionKey = (setting: string, key: string): void => {
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(key)) {
    throw badSettings(
      `${setting} key ${JSON.stringify(key)} is not an option name`,
      'write the option without leading dashes, e.g. "partition" or "q"',
    );
  }
};

// The lines of some output that carry a message, trimmed.
const meaningfulLines = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

const MAX_DETAIL = 600;

/** The output of a failed command, on one line, as the end of a Failure message. */
export const outputSummary = (stdout: string, stderr: string): string => {
  const lines = [...meaningfulLines(stderr), ...meaningfulLines(stdout)];
  const text = lines.length === 0 ? '(no output)' : lines.join(' | ');
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}...` : text;
};

/** A status or history query that did not answer. */
export const queryFailed = (program: string, exitCode: number, stdout: string, stderr: string): Failure => ({
  reason: 'status-query-failed',
  message: `${program} failed with exit status ${exitCode}: ${outputSummary(stdout, stderr)}`,
});

/** Output the parser cannot read: a changed format or a site wrapper printing extra text. */
export const unreadableOutput = (program: string, detail: string, stdout: string): Failure => ({
  reason: 'status-query-failed',
  message: `cannot read the output of ${program} (${detail}): ${outputSummary(stdout, '')}`,
});

/** A submission without a job id in its output. */
export const submitFailed = (program: string, stdout: string, stderr: string, hint?: string): Failure => ({
  reason: 'submit-failed',
  message: `${program} did not submit the job: ${outputSummary(stdout, stderr)}`,
  ...(hint === undefined ? {} : { hint }),
});
