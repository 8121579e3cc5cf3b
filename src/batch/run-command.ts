/**
 * The one place that runs batch-system commands (sbatch, condor_q, ...),
 * always with a timeout and never through a shell. Adapters only build the
 * argv; this runs it and hands back what it printed.
 *
 * Each command runs in a process group (and session) of its own: Ctrl-C in
 * a terminal signals the runner's whole group, and an sbatch killed after the
 * controller accepted its job leaves a job nobody knows. Out of that group,
 * the command finishes, its job id arrives, and the stopping runner cancels
 * that job. A timeout ends the command's whole group.
 *
 * Being the one door to the scheduler, it also keeps b2 polite: submit
 * commands and queries each go through a token bucket (settings
 * `submit_rate`/`submit_burst`, `query_rate`/`query_burst`), and every call
 * is counted per command name for the run's report.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Command } from '../systems/contract.js';
import { getSetting } from '../settings/index.js';
import { sleep } from '../util/sleep.js';
import { TokenBucket, type BucketLimits } from './rate-limit.js';
import { CallCounter, commandKind, type CallTally, type CommandKind } from './scheduler-calls.js';

export interface CommandResult {
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly timedOut: boolean;
  /** Set when the command could not be started at all (not on PATH, not executable). */
  readonly startError?: string;
}

export interface RunOptions {
  /**
   * Send stdout to this file rather than a pipe. A submit command whose
   * runner is killed still finishes and leaves the job id there, where a
   * re-attaching runner finds it.
   */
  readonly stdoutFile?: string;
}

const calls = new CallCounter();

/** Scheduler calls of this process so far, per command name. */
export const schedulerCalls = (): CallTally => calls.tally();

/** Forget the calls counted so far (a process that runs several runs, tests). */
export const resetSchedulerCalls = (): void => calls.reset();

/** Submissions and queries are limited separately; removals never wait (Ctrl-C must be quick), probes are once a run. */
const buckets = new Map<'submit' | 'query', TokenBucket>();

const bucketLimits = (bucket: 'submit' | 'query'): BucketLimits => ({
  rate: getSetting<number>(`${bucket}_rate`),
  burst: getSetting<number>(`${bucket}_burst`),
});

/** Waits for the command's token, if its kind is limited. */
const awaitTurn = async (kind: CommandKind): Promise<void> => {
  const name = kind === 'submit' ? 'submit' : kind === 'query' || kind === 'history' ? 'query' : undefined;
  if (name === undefined) return;
  const limits = bucketLimits(name);
  let bucket = buckets.get(name);
  if (bucket === undefined) {
    bucket = new TokenBucket(limits);
    buckets.set(name, bucket);
  } else bucket.setLimits(limits);
  const waitMs = bucket.take();
  if (waitMs > 0) await sleep(waitMs);
};

export const runCommand = async (command: Command, timeoutMs: number, options: RunOptions = {}): Promise<CommandResult> => {
  const { tool, kind } = commandKind(command.argv);
  await awaitTurn(kind);
  calls.count(tool);
  // Loaded on first use: `b2 worker` and local runs never pay for it.
  const { execa } = await import('execa');
  const [file, ...args] = command.argv;
  // A descriptor, not a stream: the child writes the file itself, even after this process died.
  // execa takes a descriptor number for stdout at run time; its types list numbers only for other fds.
  const stdoutFd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'w');
  const child = execa(file!, args, {
    ...(stdoutFd === undefined ? {} : { stdout: stdoutFd as unknown as 'inherit' }),
    reject: false,
    detached: true,
    stdin: command.stdin === undefined ? 'ignore' : 'pipe',
    ...(command.stdin === undefined ? {} : { input: command.stdin }),
    ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
    stripFinalNewline: false,
    // No exit hook per command: a submit command must finish even if b2 exits (its job id
    // lands in stdoutFile), and Ctrl-C is handled by cancelling the run's jobs.
    cleanup: false,
  });
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  if (child.pid !== undefined) {
    const group = child.pid;
    timers.push(
      setTimeout(() => {
        timedOut = true;
        signalGroup(group, 'SIGTERM');
        // Whatever of the group outlives its leader is killed too, also after the result is in.
        timers.push(setTimeout(() => signalGroup(group, 'SIGKILL'), FORCE_KILL_AFTER_MS).unref());
      }, timeoutMs),
    );
  }
  const result = await child.finally(() => {
    if (!timedOut) for (const timer of timers) clearTimeout(timer);
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  });
  // Killed by a signal is not "could not start": the command may have done its work.
  const startError =
    result.failed && result.exitCode === undefined && result.signal === undefined && !timedOut
      ? (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
        ? `${file} was not found on PATH`
        : result.shortMessage
      : undefined;
  return {
    argv: command.argv,
    stdout: options.stdoutFile !== undefined ? readIfThere(options.stdoutFile) : typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    exitCode: result.exitCode ?? -1,
    timedOut,
    ...(startError === undefined ? {} : { startError }),
  };
};

const FORCE_KILL_AFTER_MS = 2000;

// The group may be gone already (the command ended as its time ran out).
const signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pgid, signal);
  } catch {
    // nothing left to signal
  }
};

/** Nextflow-style failure text: the command, its exit status, its output. */
export const describeCommandFailure = (result: CommandResult): string => {
  const lines = [`command: ${result.argv.join(' ')}`];
  if (result.startError) lines.push(`error:   ${result.startError}`);
  else if (result.timedOut) lines.push('error:   timed out (setting status_query_timeout / submit_timeout)');
  else lines.push(`exit:    ${result.exitCode}`);
  const output = `${result.stderr}${result.stdout}`.trim();
  if (output) lines.push('output:', ...output.split('\n').slice(0, 20).map((line) => `  ${line}`));
  return lines.join('\n');
};

const readIfThere = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** For the rare question that must be answered before anything else can go on (which qsub is this?). */
export const runCommandSync = (command: Command, timeoutMs: number): CommandResult => {
  calls.count(commandKind(command.argv).tool);
  const [file, ...args] = command.argv;
  const result = spawnSync(file!, args, { encoding: 'utf8', timeout: timeoutMs, input: command.stdin ?? '', ...(command.cwd ? { cwd: command.cwd } : {}) });
  const startError = result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${file} was not found on PATH` : undefined;
  return {
    argv: command.argv,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    exitCode: result.status ?? -1,
    timedOut: (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
    ...(startError ? { startError } : {}),
  };
};
