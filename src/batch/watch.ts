/**
 * Watching the jobs in flight: their exit files at every check, and one
 * status query per batch system for all of them, at the adaptive cadence of
 * poll-cadence.ts (often while jobs finish, seldom while nothing moves),
 * backing off while a system's query fails. What each system's queue last said is
 * kept on the job; judging it is judge.ts's.
 */
import type { ArraySubmission, JobStatus } from '../systems/contract.js';
import type { BatchSystemName } from '../systems/registry.js';
import type { TaskJob } from '../executors/executor.js';
import type { JobEvent } from '../scheduler/events.js';
import { getSetting } from '../settings/index.js';
import { readExitStatusFile } from '../wrapper/wrapper.js';
import { plainAdapter, queryJobStates } from './client.js';
import { cadenceLimits, nextPollDelay } from './poll-cadence.js';
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
  /** Listed as pending by the latest answer, with no exit status: the checks until the next answer pass it by. */
  quiet: boolean;
}

/** One object for every job not seen yet: tasks packed into one job then share each sight that follows (see refreshQueue). */
const UNSEEN: QueueSight = Object.freeze({ kind: 'unseen' });

/** A job to watch from now on, not yet seen by the queue. */
export const newTrackedJob = (job: TaskJob, system: BatchSystemName, jobId: string, exitFile: string, adopted = false): TrackedJob => ({
  job,
  system,
  jobId,
  exitFile,
  adopted,
  submittedAt: Date.now(),
  exitStatus: undefined,
  sight: UNSEEN,
  quiet: false,
});

const ENDED: ReadonlySet<JobStatus['state']> = new Set(['succeeded', 'failed', 'cancelled', 'timeout']);

const lastListing = (sight: QueueSight): Listed | undefined => (sight.kind === 'missing' ? sight.last : sight.kind === 'unseen' ? undefined : sight);

/** The queue's last word on a job, as the judge's per-second checks take it. */
const queueFacts = (sight: QueueSight): Pick<JobObservation, 'queue' | 'lastSeenAt'> => {
  const listed = lastListing(sight);
  return { queue: listed?.status, lastSeenAt: listed?.seenAt };
};

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
  /** The wait after the latest answer (poll-cadence.ts). */
  intervalMs?: number;
  /** A job moved on (exit file written, state changed) since the latest answer. */
  progressed: boolean;
  /** Its quiet jobs: those the latest answer lists as pending, without an exit status. */
  quiet: number;
}

export class Watch {
  private readonly tracked = new Map<number, TrackedJob>();
  /**
   * The jobs that are not quiet (see TrackedJob.quiet): each check reads
   * their exit files and returns them to be judged. Nothing can change for a
   * quiet job before the next answer, and on a big run nearly all are quiet.
   */
  private readonly active = new Map<number, TrackedJob>();
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
    this.remove(job.job.index);
    this.tracked.set(job.job.index, job);
    job.quiet = false;
    this.active.set(job.job.index, job);
    this.stateOf(job.system);
  }

  remove(index: number): void {
    const job = this.tracked.get(index);
    if (job === undefined) return;
    if (job.quiet) this.stateOf(job.system).quiet--;
    this.tracked.delete(index);
    this.active.delete(index);
  }

  /**
   * Jobs of `system` that its latest answer lists as pending (and that have
   * not ended meanwhile). Asked at every pump while submissions wait for
   * company: counted as jobs turn quiet and back, not by walking them all.
   */
  waitingIn(system: BatchSystemName): number {
    return this.systems.get(system)?.quiet ?? 0;
  }

  /**
   * Reads the exit files worth reading, asks each system whose interval is
   * over (answered at a later check), and returns the jobs in flight, to be
   * judged where `worthJudging`.
   */
  check(): TrackedJob[] {
    // This runs every second: its cost follows the jobs that can change
    // (running, ended, unseen), not all those in flight (a hundred thousand, packed).
    const now = Date.now();
    const due = [...this.systems].filter(([, state]) => !state.querying && now >= state.nextQueryAt).map(([system]) => system);
    for (const tracked of this.active.values()) {
      const state = this.stateOf(tracked.system);
      if (exitFileWorthReading(queueFacts(tracked.sight), state.answeredAt)) {
        const before = tracked.exitStatus;
        tracked.exitStatus = readExitStatusFile(tracked.exitFile);
        if (before === undefined && tracked.exitStatus !== undefined) state.progressed = true;
      }
    }
    if (due.length > 0) {
      const jobsOf = new Map(due.map((system) => [system, [] as TrackedJob[]]));
      for (const tracked of this.tracked.values()) jobsOf.get(tracked.system)?.push(tracked);
      // A slow queue must not hold up the exit files: its answer is used at the check after it arrives.
      for (const [system, jobs] of jobsOf) {
        if (jobs.length === 0) continue;
        const state = this.stateOf(system);
        state.querying = true;
        this.refreshQueue(system, state, jobs)
          .catch((error: unknown) => this.emit({ type: 'status-query-failed', system, error: error instanceof Error ? error.message : String(error) }))
          .finally(() => (state.querying = false));
      }
    }
    // The quiet jobs have nothing to judge (see nothingToJudge): pending, no exit status.
    return [...this.active.values()];
  }

  /** After an answer (or a failed query: `answeredAt` undefined), whether `job` is quiet until the next. */
  private classify(job: TrackedJob, answeredAt: number | undefined): void {
    const quiet = job.exitStatus === undefined && waitingInQueue(queueFacts(job.sight), answeredAt);
    // Called for every job at every answer: most stay as they were.
    if (quiet === job.quiet) return;
    const index = job.job.index;
    // Removed while the query ran: it stays removed.
    if (this.tracked.get(index) !== job) return;
    job.quiet = quiet;
    this.stateOf(job.system).quiet += quiet ? 1 : -1;
    if (quiet) this.active.delete(index);
    else this.active.set(index, job);
  }

  private stateOf(system: BatchSystemName): SystemWatch {
    let state = this.systems.get(system);
    if (!state) {
      state = { nextQueryAt: 0, failures: 0, querying: false, progressed: false, quiet: 0 };
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
    // Packed tasks share a job: the job is asked about once, for all of them.
    const byId = new Map<string, TrackedJob[]>();
    for (const job of open) {
      const shared = byId.get(job.jobId);
      if (shared === undefined) byId.set(job.jobId, [job]);
      else shared.push(job);
    }
    // A job that left the queue has mostly just written its exit files: then its history has nothing to add.
    const settled = (jobId: string): boolean => {
      const jobs = byId.get(jobId);
      if (jobs === undefined) return false;
      return jobs.every((job) => {
        job.exitStatus = readExitStatusFile(job.exitFile);
        return job.exitStatus !== undefined && job.exitStatus <= 128;
      });
    };
    const query = await queryJobStates(system, [...byId.keys()], this.tag, { settled });
    if (query.error !== undefined) {
      // A failing query never fails a job by itself: back off and ask again later.
      delete state.answeredAt;
      // Nothing is known to wait any more: every exit file is looked for again.
      for (const job of jobs) this.classify(job, undefined);
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
    const seenAt = Date.now();
    // The state held when the question was asked: a slow answer is that much older.
    const entering = elementsYetToEnter(plainAdapter(system).array, query.states);
    // Tasks packed into one job share their sights: the next one is made once per job, not once per task
    // (nextSight of a listed job depends only on the sight before and the answer).
    const sharedNext = new Map<string, { before: QueueSight; next: QueueSight }>();
    for (const job of open) {
      const status = query.states.get(job.jobId);
      if (status === undefined && job.sight.kind === 'unseen' && entering(job.jobId)) continue;
      const shared = status === undefined ? undefined : sharedNext.get(job.jobId);
      if (shared !== undefined && shared.before === job.sight) {
        job.sight = shared.next;
      } else {
        const before = job.sight;
        job.sight = nextSight(before, status, askedAt, seenAt, job.submittedAt);
        if (sightState(job.sight) !== sightState(before)) state.progressed = true;
        if (status !== undefined) sharedNext.set(job.jobId, { before, next: job.sight });
      }
      this.classify(job, askedAt);
    }
    const limits = cadenceLimits(getSetting<number>('poll_interval_min'), getSetting<number>('poll_interval'));
    state.intervalMs = nextPollDelay(state.intervalMs, state.progressed, limits);
    state.progressed = false;
    state.nextQueryAt = Date.now() + state.intervalMs;
  }
}

/** What changing means for the cadence: a job listed in another state, or gone missing. */
const sightState = (sight: QueueSight): string => (sight.kind === 'unseen' || sight.kind === 'missing' ? sight.kind : `${sight.kind}:${sight.status.state}`);

/**
 * Whether an element the answer does not list may still be waiting to
 * enter the queue: HTCondor materializes an array's procs a few at a time
 * (max_materialize), and lists none of the others. An element never listed
 * is not missing while the answer lists other elements of its array.
 */
export const elementsYetToEnter = (array: ArraySubmission | undefined, states: ReadonlyMap<string, JobStatus>): ((jobId: string) => boolean) => {
  if (array === undefined) return () => false;
  const listed = new Set<string>();
  for (const id of states.keys()) {
    const element = array.elementOf(id);
    if (element !== undefined) listed.add(element.arrayId);
  }
  return (jobId) => {
    const element = array.elementOf(jobId);
    return element !== undefined && listed.has(element.arrayId);
  };
};

/** Whether judgeJob may say more than "wait" (exit status as read at the start of this check). */
export const worthJudging = (tracked: TrackedJob): boolean => {
  // Asked of every job at every check: only the three facts nothingToJudge reads, not the whole observation.
  const { sight, exitStatus } = tracked;
  const missingSince = sight.kind === 'missing' ? sight.since : undefined;
  return !nothingToJudge({ exitStatus, queue: lastListing(sight)?.status, missingSince }) && !awaitingQueue(tracked);
};

/**
 * An adopted job that a signal ended, not yet seen by the queue: only the
 * queue can say whether someone removed it while no runner watched (then it
 * is submitted again) or it failed.
 */
const awaitingQueue = (tracked: TrackedJob): boolean =>
  tracked.adopted && (tracked.exitStatus ?? 0) > 128 && tracked.sight.kind === 'unseen';
