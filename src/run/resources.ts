/**
 * What one attempt of a task used, measured where it ran (the batch job's
 * worker, or the local worker), and what it asked for. The journal carries
 * one record per attempt; `b2 status --json`, the report and `--suggest`
 * read them from the run state.
 */
import type { FailureReason } from './failure.js';

/** What a job asked for, when resources were set. */
export interface RequestedResources {
  readonly cpus?: number;
  readonly memoryMb?: number;
  readonly walltimeSeconds?: number;
}

export interface AttemptResources {
  readonly attempt: number;
  /** Milliseconds since the epoch. submittedAt: when its job was submitted (batch only). */
  readonly submittedAt?: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly exitCode: number;
  /** endedAt - startedAt, in seconds. */
  readonly wallSeconds: number;
  /** User + system CPU time of the task's process and the children it waited for. */
  readonly cpuSeconds: number;
  /** Peak resident memory, in megabytes. */
  readonly maxRssMb: number;
  /** The node it ran on. */
  readonly host: string;
  /** What its job asked for, when resources were set. */
  readonly requested?: RequestedResources;
}

/**
 * An attempt that left no measurement (killed by SIGKILL, out of memory, its
 * walltime, or lost): only what is known of it, no invented numbers.
 * startedAt and host come from the worker's first record, when it got that far.
 */
export interface UnmeasuredAttempt {
  readonly attempt: number;
  readonly submittedAt?: number;
  readonly startedAt?: number;
  /** When the runner learnt that it ended. */
  readonly endedAt: number;
  readonly host?: string;
  readonly reason: FailureReason;
  readonly requested?: RequestedResources;
}

/**
 * What the worker writes while a task runs: `startedAt` and `host` as soon
 * as it starts, the rest once the task ended. Atomic writes: a reader sees
 * one or the other, whole.
 */
export interface WorkerMeasurement {
  readonly startedAt: number;
  readonly host: string;
  readonly endedAt?: number;
  readonly exitCode?: number;
  readonly cpuSeconds?: number;
  readonly maxRssMb?: number;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The worker's file, or undefined when it is not one (torn, foreign, empty). */
export const parseMeasurement = (text: string): WorkerMeasurement | undefined => {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  if (!isNumber(d.startedAt) || typeof d.host !== 'string') return undefined;
  const optional = (key: 'endedAt' | 'exitCode' | 'cpuSeconds' | 'maxRssMb') => (isNumber(d[key]) ? { [key]: d[key] } : {});
  return { startedAt: d.startedAt, host: d.host, ...optional('endedAt'), ...optional('exitCode'), ...optional('cpuSeconds'), ...optional('maxRssMb') };
};

/** Whether the worker got to the end of the task and measured it. */
const finished = (m: WorkerMeasurement): m is WorkerMeasurement & Required<Pick<WorkerMeasurement, 'endedAt' | 'exitCode' | 'cpuSeconds' | 'maxRssMb'>> =>
  m.endedAt !== undefined && m.exitCode !== undefined && m.cpuSeconds !== undefined && m.maxRssMb !== undefined;

export interface AttemptContext {
  readonly attempt: number;
  readonly submittedAt?: number;
  readonly requested?: RequestedResources;
  /** When the runner judged it: the end of an attempt that did not measure itself. */
  readonly judgedAt: number;
  /** Why it failed, for an attempt without a measurement. */
  readonly reason?: FailureReason;
}

export type AttemptRecord = { readonly measured: AttemptResources } | { readonly unmeasured: UnmeasuredAttempt };

/** Batch nodes' clocks drift from the submit host's by a little. */
const CLOCK_SKEW_MS = 60_000;

const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places;

const known = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));

/**
 * One attempt's record from what its worker wrote (if anything) and what
 * the runner knows. A measurement older than the job's submission is an
 * earlier attempt's, left behind: it says nothing of this one.
 */
export const attemptRecord = (m: WorkerMeasurement | undefined, ctx: AttemptContext): AttemptRecord => {
  const current = m !== undefined && (ctx.submittedAt === undefined || m.startedAt >= ctx.submittedAt - CLOCK_SKEW_MS) ? m : undefined;
  const requested = ctx.requested !== undefined && Object.keys(ctx.requested).length > 0 ? ctx.requested : undefined;
  if (current !== undefined && finished(current)) {
    return {
      measured: {
        attempt: ctx.attempt,
        ...known('submittedAt', ctx.submittedAt),
        startedAt: current.startedAt,
        endedAt: current.endedAt,
        exitCode: current.exitCode,
        wallSeconds: round(Math.max(0, current.endedAt - current.startedAt) / 1000, 3),
        cpuSeconds: round(current.cpuSeconds, 3),
        maxRssMb: round(current.maxRssMb, 1),
        host: current.host,
        ...known('requested', requested),
      },
    };
  }
  return {
    unmeasured: {
      attempt: ctx.attempt,
      ...known('submittedAt', ctx.submittedAt),
      ...known('startedAt', current?.startedAt),
      endedAt: ctx.judgedAt,
      ...known('host', current?.host),
      reason: ctx.reason ?? 'lost',
      ...known('requested', requested),
    },
  };
};

/** Seconds a job waited in the queue before it started, when both ends are known. */
export const queueWaitSeconds = (a: { readonly submittedAt?: number; readonly startedAt?: number }): number | undefined =>
  a.submittedAt === undefined || a.startedAt === undefined ? undefined : round(Math.max(0, a.startedAt - a.submittedAt) / 1000, 3);
