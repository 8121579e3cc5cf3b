/**
 * Deciding what became of a batch job, as a pure function of what was
 * observed: the exit-status file the wrapper writes (the truth for success),
 * and the queue (the truth for liveness). No clock of its own: `now` is given.
 */
import type { JobStatus } from '../systems/contract.js';
import { exitReason, type FailureReason } from '../run/failure.js';

export interface JobObservation {
  /** Exit status recorded by the wrapper, when the file exists. */
  readonly exitStatus?: number;
  /** Latest state from the live queue or history, when the job was in the answer. */
  readonly queue?: JobStatus;
  /** When the latest answer that listed the job (queue or history) was asked for. */
  readonly lastSeenAt?: number;
  /**
   * Since when successful queries that asked about the job did not find it
   * (unset while it is found, or before any query asked about it).
   */
  readonly missingSince?: number;
  /** First time the queue reported the job ended without an exit file. */
  readonly endedAt?: number;
  /** Since when the queue has listed the job as held, without a break (unset while it is not). */
  readonly heldSince?: number;
  readonly now: number;
  /** How long a job may be missing from queue and history before it is lost. */
  readonly lostGraceMs: number;
  /** How long to wait for the exit file after the queue says the job ended (shared file systems lag). */
  readonly exitFileGraceMs: number;
  /**
   * How long a job may stay held before it is failed and removed (setting
   * held_grace): an operator may release it meanwhile; a hold for an error
   * (HTCondor, Grid Engine's Eqw) or a forgotten suspension (LSF) would
   * otherwise be waited on forever.
   */
  readonly heldGraceMs: number;
}

export type JobVerdict =
  | { readonly kind: 'wait' }
  | { readonly kind: 'succeeded' }
  | {
      readonly kind: 'failed';
      readonly reason: 'exit' | 'timeout' | 'memory' | 'held' | 'cancelled' | 'lost' | 'ended';
      readonly message: string;
      readonly exitCode?: number;
      /** The job is still in the system and must be removed (held jobs). */
      readonly kill?: boolean;
    };

/** The verdict's reason as the journal and `b2 status --json` give it: an ended job without exit status is lost to b2. */
export const failureReason = (verdict: Extract<JobVerdict, { kind: 'failed' }>): FailureReason => {
  if (verdict.reason === 'exit') return verdict.exitCode === undefined ? 'exit' : exitReason(verdict.exitCode);
  return verdict.reason === 'ended' ? 'lost' : verdict.reason;
};

/**
 * The reason, once the batch system's reading of the exit is known (see
 * BatchAdapter.explainExit): Grid Engine says a job ran out of memory only
 * that way, through the task's stderr under an address-space limit.
 */
export const reasonGivenExplanation = (verdict: Extract<JobVerdict, { kind: 'failed' }>, explanation: string | undefined): FailureReason =>
  verdict.reason === 'exit' && explanation !== undefined && /exceeded its memory limit/.test(explanation) ? 'memory' : failureReason(verdict);

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timeout']);
const WAIT: JobVerdict = { kind: 'wait' };

/**
 * The queue says the job was ended for using more memory than it asked for:
 * Slurm's OUT_OF_MEMORY (sacct may cut it to OUT_OF_ME+), LSF's
 * TERM_MEMLIMIT, or an HTCondor hold for memory ("memory usage exceeded
 * request_memory", "Job has gone over memory limit").
 */
export const endedOutOfMemory = (status: JobStatus | undefined): boolean => {
  if (status === undefined) return false;
  if (/^OUT_OF_ME/.test(status.native) || /TERM_MEMLIMIT/.test(status.reason ?? '')) return true;
  return status.state === 'held' && /memory/i.test(status.reason ?? '');
};

export const judgeJob = (o: JobObservation): JobVerdict => {
  const state = o.queue?.state;
  if (o.exitStatus !== undefined) {
    if (o.exitStatus === 0) return { kind: 'succeeded' };
    // A walltime or memory kill reaches the wrapper as a signal: let the queue say which it was.
    if (state === 'timeout') return timedOut(o);
    if (endedOutOfMemory(o.queue)) return outOfMemory(o);
    const killed = o.exitStatus > 128;
    if (killed && state !== undefined && !TERMINAL.has(state) && o.now - (o.lastSeenAt ?? o.now) < o.exitFileGraceMs) return WAIT;
    if (killed && state === 'cancelled') return cancelled(o);
    return {
      kind: 'failed',
      reason: 'exit',
      exitCode: o.exitStatus,
      message: killed ? `the job was killed by signal ${o.exitStatus - 128}` : `the task exited with code ${o.exitStatus}`,
    };
  }
  // Held for memory, it would only be held again once released: no grace.
  if (state === 'held') return endedOutOfMemory(o.queue) ? outOfMemory(o) : (heldTooLong(o) ?? WAIT);
  if (state !== undefined && TERMINAL.has(state)) {
    if (o.now - (o.endedAt ?? o.now) < o.exitFileGraceMs) return WAIT;
    if (state === 'timeout') return timedOut(o);
    if (endedOutOfMemory(o.queue)) return outOfMemory(o);
    if (state === 'cancelled') return cancelled(o);
    const code = o.queue?.exitCode;
    return {
      kind: 'failed',
      reason: 'ended',
      ...(code === undefined ? {} : { exitCode: code }),
      message: `the job ended (${o.queue!.native}${code !== undefined ? `, exit code ${code}` : ''}) without recording an exit status: it was killed or never started`,
    };
  }
  if (state !== undefined || o.missingSince === undefined || o.now - o.missingSince < o.lostGraceMs) return WAIT;
  return {
    kind: 'failed',
    reason: 'lost',
    message: `the job is lost: gone from the queue and its history for ${Math.round((o.now - o.missingSince) / 1000)} s with no exit status`,
  };
};

/**
 * True when judgeJob can only say "wait", whatever the time: no exit file,
 * not missing from the queue, and pending, running or not yet seen there.
 * Most jobs in flight are like this at most polls; they need no verdict.
 */
export const nothingToJudge = (o: Pick<JobObservation, 'exitStatus' | 'queue' | 'missingSince'>): boolean =>
  o.exitStatus === undefined && o.missingSince === undefined && (o.queue === undefined || (o.queue.state !== 'held' && !TERMINAL.has(o.queue.state)));

/**
 * Pending in the latest answer of the queue, `answeredAt` being when that
 * answer was asked for (undefined when there is none, or the latest query
 * failed: then nothing is known to wait).
 */
export const waitingInQueue = (o: Pick<JobObservation, 'queue' | 'lastSeenAt'>, answeredAt: number | undefined): boolean =>
  answeredAt !== undefined && o.lastSeenAt === answeredAt && o.queue?.state === 'pending';

/**
 * Whether to look for the job's exit file at this check. A job that the
 * latest answer of the queue lists as pending has not run yet, or has just
 * started: its file is looked for once an answer says it left the pending
 * state. Most jobs in flight wait in the queue, and on a shared file system
 * every look is a round trip. After a failed query, always look.
 */
export const exitFileWorthReading = (o: Pick<JobObservation, 'queue' | 'lastSeenAt'>, answeredAt: number | undefined): boolean =>
  !waitingInQueue(o, answeredAt);

/**
 * Whether jobs ready to submit should wait for more to go out in the same
 * command (systems that take several jobs per command). They wait while the
 * farm still has at least as many jobs of this run waiting (`waiting`, from
 * a recent answer of the queue): until those have started, a job submitted
 * now would only queue behind them. A full group goes at once.
 */
export const holdSubmissions = (ready: number, waiting: number, maxGroup: number): boolean => ready < maxGroup && ready < waiting;

/** The verdict on a held job once the grace is over; undefined before. */
const heldTooLong = (o: JobObservation): JobVerdict | undefined => {
  const heldMs = o.now - (o.heldSince ?? o.now);
  if (o.heldGraceMs > 0 && heldMs < o.heldGraceMs) return undefined;
  const why = o.queue?.reason ?? `${o.queue?.native}, no reason given`;
  return {
    kind: 'failed',
    reason: 'held',
    kill: true,
    message: `the job was held by the batch system: ${why} (held for ${Math.round(heldMs / 1000)} s, held_grace ${Math.round(o.heldGraceMs / 1000)} s)`,
  };
};

const timedOut = (o: JobObservation): JobVerdict => ({
  kind: 'failed',
  reason: 'timeout',
  message: `timed out: the job exceeded its walltime${o.queue?.reason ? ` (${o.queue.reason})` : ''}`,
});

const outOfMemory = (o: JobObservation): JobVerdict => ({
  kind: 'failed',
  reason: 'memory',
  // A held job stays in the system until removed.
  ...(o.queue?.state === 'held' ? { kill: true } : {}),
  message: `out of memory: the job used more than its memory limit${o.queue?.reason ? ` (${o.queue.reason})` : ` (${o.queue?.native})`}`,
});

const cancelled = (o: JobObservation): JobVerdict => ({
  kind: 'failed',
  reason: 'cancelled',
  message: `the job was cancelled outside b2${o.queue?.reason ? ` (${o.queue.reason})` : ''}`,
});
