/**
 * Watching the jobs in flight: their exit files at every check, and one
 * status query per batch system per poll interval for all of them, backing
 * off while a system's query fails. What each system's queue last said is
 * kept on the job; judging it is judge.ts's.
 */
import type { JobStatus } from '../systems/contract.js';
import type { BatchSystemName } from '../systems/registry.js';
import type { TaskJob } from '../executors/executor.js';
import type { JobEvent } from '../scheduler/events.js';
import { getSetting } from '../settings/index.js';
import { readExitStatusFile } from '../wrapper/wrapper.js';
import { queryJobStates } from './client.js';
import { exitFileWorthReading, nothingToJudge, waitingInQueue, type JobObservation } from './judge.js';

const MAX_QUERY_BACKOFF_MS = 5 * 60_000;

/** A job as the latest answer that listed it showed it; `seenAt`: when that answer was asked for. */
type Listed =
  | { readonly kind: 'listed'; readonly status: JobStatus; readonly seenAt: number }
  /** Held without a break since `since`. */
  | { readonly kind: 'held'; readonly status: JobStatus; readonly seenAt: number; readonly since: number }
  /** Ended in the queue (succeeded, failed, cancelled, timeout); first seen so at `endedAt`. */
  | { readonly kind: 'ended'; readonly status: JobStatus; readonly seenAt: number; readonly endedAt: number };

/** What the queue has said of a job, one state at a time, each with only its data. */
export type QueueSight =
  /** No answer asked after its submission has listed it or missed it yet. */
  | { readonly kind: 'unseen' }
  | Listed
  /** Answers asked after its submission have not listed it since `since`; what they last said of it, if anything. */
  | { readonly kind: 'missing'; readonly since: number; readonly last?: Listed };

export interface TrackedJob {
  readonly job: TaskJob;
  readonly system: BatchSystemName;
  readonly jobId: string;
  readonly submittedAt: number;
  readonly exitFile: string;
  /** Submitted by an earlier runner of the run, and watched by this one. */
  readonly adopted: boolean;
  /** The exit file's status, read once per poll. */
  exitStatus: number | undefined;
  sight: QueueSight;
}

/** A job to watch from now on, not yet seen by the queue. */
export const newTrackedJob = (job: TaskJob, system: BatchSystemName, jobId: string, exitFile: string, adopted = false): TrackedJob => ({
  job,
  system,
  jobId,
  exitFile,
  adopted,
  submittedAt: Date.now(),
  exitStatus: undefined,
  sight: { kind: 'unseen' },
});

const ENDED: ReadonlySet<JobStatus['state']> = new Set(['succeeded', 'failed', 'cancelled', 'timeout']);

const lastListing = (sight: QueueSight): Listed | undefined => (sight.kind === 'missing' ? sight.last : sight.kind === 'unseen' ? undefined : sight);

/**
 * What the queue says of a job after an answer asked at `askedAt` and
 * received at `receivedAt` listed it with `status`, or did not list it.
 */
export const nextSight = (previous: QueueSight, status: JobStatus | undefined, askedAt: number, receivedAt: number, submittedAt: number): QueueSight => {
  if (status !== undefined) return listedAs(previous, status, askedAt, receivedAt);
  // Only an answer to a question asked after the submission can say the job is gone.
  if (submittedAt > askedAt || previous.kind === 'missing') return previous;
  const last = lastListing(previous);
  return { kind: 'missing', since: askedAt, ...(last === undefined ? {} : { last }) };
};

const listedAs = (previous: QueueSight, status: JobStatus, askedAt: number, receivedAt: number): Listed => {
  const last = lastListing(previous);
  if (status.state === 'held') return { kind: 'held', status, seenAt: askedAt, since: last?.kind === 'held' ? last.since : askedAt };
  if (ENDED.has(status.state)) return { kind: 'ended', status, seenAt: askedAt, endedAt: last?.kind === 'ended' ? last.endedAt : receivedAt };
  return { kind: 'listed', status, seenAt: askedAt };
};

/** The job as judge.ts takes it: what the exit file and the queue said, flat. */
export const observationOf = (tracked: TrackedJob): Omit<JobObservation, 'now' | 'lostGraceMs' | 'exitFileGraceMs' | 'heldGraceMs'> => {
  const { sight, exitStatus } = tracked;
  const listed = lastListing(sight);
  return {
    ...(exitStatus === undefined ? {} : { exitStatus }),
    ...(listed === undefined ? {} : { queue: listed.status, lastSeenAt: listed.seenAt }),
    ...(listed?.kind === 'held' ? { heldSince: listed.since } : {}),
    ...(listed?.kind === 'ended' ? { endedAt: listed.endedAt } : {}),
    ...(sight.kind === 'missing' ? { missingSince: sight.since } : {}),
  };
};

/** What this runner knows of one system's queue. */
interface SystemWatch {
  /** When its latest answer was asked for; unset after a failed query. */
  answeredAt?: number;
  nextQueryAt: number;
  failures: number;
  /** A status query is under way. */
  querying: boolean;
}

export class Watch {
  private readonly tracked = new Map<number, TrackedJob>();
  private readonly systems = new Map<BatchSystemName, SystemWatch>();

  constructor(
    private readonly tag: string,
    private readonly emit: (event: JobEvent) => void,
  ) {}

  get size(): number {
    return this.tracked.size;
  }

  has(index: number): boolean {
    return this.tracked.has(index);
  }

  jobs(): TrackedJob[] {
    return [...this.tracked.values()];
  }

  add(job: TrackedJob): void {
    this.tracked.set(job.job.index, job);
  }

  remove(index: number): void {
    this.tracked.delete(index);
  }

  /** Jobs of `system` that its latest answer lists as pending. */
  waitingIn(system: BatchSystemName): number {
    const answeredAt = this.systems.get(system)?.answeredAt;
    let waiting = 0;
    for (const tracked of this.tracked.values()) if (tracked.system === system && waitingInQueue(observationOf(tracked), answeredAt)) waiting++;
    return waiting;
  }

  /**
   * Reads the exit files worth reading, asks each system whose interval is
   * over (answered at a later check), and returns the jobs in flight, to be
   * judged where `worthJudging`.
   */
  check(): TrackedJob[] {
    const now = Date.now();
    const bySystem = new Map<BatchSystemName, TrackedJob[]>();
    for (const tracked of this.tracked.values()) {
      if (exitFileWorthReading(observationOf(tracked), this.systems.get(tracked.system)?.answeredAt)) tracked.exitStatus = readExitStatusFile(tracked.exitFile);
      const list = bySystem.get(tracked.system) ?? [];
      list.push(tracked);
      bySystem.set(tracked.system, list);
    }
    // A slow queue must not hold up the exit files: its answer is used at the check after it arrives.
    for (const [system, jobs] of bySystem) {
      const state = this.stateOf(system);
      if (state.querying || now < state.nextQueryAt) continue;
      state.querying = true;
      this.refreshQueue(system, state, jobs)
        .catch((error: unknown) => this.emit({ type: 'status-query-failed', system, error: error instanceof Error ? error.message : String(error) }))
        .finally(() => (state.querying = false));
    }
    return [...this.tracked.values()];
  }

  private stateOf(system: BatchSystemName): SystemWatch {
    let state = this.systems.get(system);
    if (!state) {
      state = { nextQueryAt: 0, failures: 0, querying: false };
      this.systems.set(system, state);
    }
    return state;
  }

  private async refreshQueue(system: BatchSystemName, state: SystemWatch, jobs: TrackedJob[]): Promise<void> {
    const pollMs = getSetting<number>('poll_interval') * 1000;
    // A recorded exit status settles a job without asking, unless a signal ended it:
    // then only the queue can tell a walltime kill or a cancellation from a crash.
    const open = jobs.filter((job) => job.exitStatus === undefined || job.exitStatus > 128);
    if (open.length === 0) return;
    const askedAt = Date.now();
    const byId = new Map(open.map((job) => [job.jobId, job]));
    // A job that left the queue has mostly just written its exit file: then its history has nothing to add.
    const settled = (jobId: string): boolean => {
      const job = byId.get(jobId);
      if (job === undefined) return false;
      job.exitStatus = readExitStatusFile(job.exitFile);
      return job.exitStatus !== undefined && job.exitStatus <= 128;
    };
    const query = await queryJobStates(system, [...byId.keys()], this.tag, { settled });
    if (query.error !== undefined) {
      // A failing query never fails a job by itself: back off and ask again later.
      delete state.answeredAt;
      state.failures++;
      const delay = Math.min(MAX_QUERY_BACKOFF_MS, pollMs * 2 ** state.failures);
      state.nextQueryAt = Date.now() + delay;
      if (state.failures === 1 || state.failures % 10 === 0) {
        this.emit({ type: 'status-query-failed', system, error: query.error, retry: { failures: state.failures, delayMs: delay } });
      }
      return;
    }
    state.failures = 0;
    state.answeredAt = askedAt;
    state.nextQueryAt = Date.now() + pollMs;
    const seenAt = Date.now();
    // The state held when the question was asked: a slow answer is that much older.
    for (const job of open) job.sight = nextSight(job.sight, query.states.get(job.jobId), askedAt, seenAt, job.submittedAt);
  }
}

/** Whether judgeJob may say more than "wait" (exit status as read at the start of this check). */
export const worthJudging = (tracked: TrackedJob): boolean => !nothingToJudge(observationOf(tracked)) && !awaitingQueue(tracked);

/**
 * An adopted job that a signal ended, not yet seen by the queue: only the
 * queue can say whether someone removed it while no runner watched (then it
 * is submitted again) or it failed.
 */
const awaitingQueue = (tracked: TrackedJob): boolean =>
  tracked.adopted && (tracked.exitStatus ?? 0) > 128 && tracked.sight.kind === 'unseen';
