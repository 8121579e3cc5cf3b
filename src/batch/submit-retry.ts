/**
 * Which submit failures are worth another try, and how long to wait first.
 * A busy or restarting controller answers with a timeout or a "try again"
 * message: those clear up, so the submission is retried with exponential
 * backoff (capped, with jitter, so a thousand runners do not come back in the
 * same second). A rejected option, a missing queue or an unknown account does
 * not clear up: the task fails at once with the system's message.
 */
import type { CommandResult } from './run-command.js';

/**
 * Messages of passing trouble, as the systems print them: Slurm's RPC
 * timeouts and EAGAIN, Grid Engine's lost qmaster, LSF's busy or absent
 * mbatchd, HTCondor's unreachable schedd, and job-count limits that lift as
 * jobs finish.
 */
const TRANSIENT_PATTERNS: readonly RegExp[] = [
  /socket timed out/i,
  /resource temporarily unavailable/i,
  /temporarily unable to accept job/i,
  /unable to contact slurm controller/i,
  /slurm_receive_msg|zero bytes were transmitted or received/i,
  /connection (refused|reset|timed out)/i,
  /batch system daemon not responding/i,
  /lsf is down|lsf daemon \(lim\) not responding|mbatchd.*(busy|not responding)/i,
  /request from non-lsf host rejected/i,
  /unable to contact qmaster|commlib error|can't find connection|failed receiving gdi request/i,
  /failed to connect to local queue manager|can't find address of local schedd|failed to fetch ads/i,
  /maxsubmit|submit limit|too many jobs|job limit.*(reached|exceeded)|qosmaxsubmitjob/i,
  /try again/i,
];

export type SubmitFailureKind = 'transient' | 'permanent';

/** A failed submit command: transient (a timeout, a "try again") or permanent (everything else). */
export const classifySubmitFailure = (result: Pick<CommandResult, 'stdout' | 'stderr' | 'timedOut' | 'startError'>): SubmitFailureKind => {
  if (result.startError !== undefined) return 'permanent';
  if (result.timedOut) return 'transient';
  const output = `${result.stderr}\n${result.stdout}`;
  return TRANSIENT_PATTERNS.some((pattern) => pattern.test(output)) ? 'transient' : 'permanent';
};

export interface BackoffLimits {
  readonly baseMs: number;
  readonly capMs: number;
}

export const SUBMIT_BACKOFF: BackoffLimits = { baseMs: 2000, capMs: 120_000 };

/**
 * The wait before try number `attempt + 1` after `attempt` failed tries:
 * base·2^(attempt-1), capped, then "equal jitter" (half fixed, half random),
 * so the wait grows for sure and runners spread out. `random` is in [0, 1).
 */
export const backoffMs = (attempt: number, random: number, limits: BackoffLimits = SUBMIT_BACKOFF): number => {
  const ceiling = Math.min(limits.capMs, limits.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
};
