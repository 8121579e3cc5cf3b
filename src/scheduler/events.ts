/**
 * What happens during a run, as one stream of events for reporters and the
 * journal. Each event carries only its data: the journal recorder turns them
 * into entries, the reporters into text.
 */
import type { LogPaths } from '../pipeline/paths.js';
import type { FailureReason } from '../run/failure.js';
import type { AttemptRecord } from '../run/resources.js';
import type { BatchSystemName } from '../systems/registry.js';

export type RunEvent = TaskEvent | JobEvent;

export type TaskEvent =
  | { readonly type: 'task-started'; readonly index: number; readonly attempt: number }
  | { readonly type: 'task-succeeded'; readonly index: number }
  | { readonly type: 'task-failed'; readonly failure: TaskFailure; readonly willRetry: boolean }
  | { readonly type: 'task-cancelled'; readonly index: number }
  /** What an attempt used (or what is known of one that could not say), before its outcome. */
  | { readonly type: 'task-measured'; readonly index: number; readonly record: AttemptRecord }
  | { readonly type: 'tasks-not-run'; readonly indices: readonly number[] }
  /**
   * A task asked, while it ran, for the tasks `requested` (nodes; `added`
   * are those new to the graph) and waits for them: in its process
   * (`restart` false), or, a batch job having ended for it, to be started
   * again (`restart` true).
   */
  | { readonly type: 'task-waiting'; readonly index: number; readonly requested: readonly number[]; readonly added: readonly number[]; readonly restart: boolean }
  /** A task that waited in its process for tasks it asked for goes on. */
  | { readonly type: 'task-resumed'; readonly index: number }
  | { readonly type: 'cancelling'; readonly inFlight: number };

/** One attempt of a task (by node index) as a batch job. */
export interface JobRef {
  readonly index: number;
  readonly attempt: number;
}

export interface NamedJob extends JobRef {
  readonly jobId: string;
}

/**
 * The batch wing's events. Listeners run synchronously, in order: an intent
 * is on disk before `emit` returns, so before its submit command runs.
 */
export type JobEvent =
  /** A submit command is about to run for these jobs; `group`: its output file (relative to the run folder) when it submits several. */
  | { readonly type: 'job-submit-intent'; readonly system: BatchSystemName; readonly jobs: readonly JobRef[]; readonly group?: string }
  /**
   * Jobs whose ids are known: named by their submit command, adopted from a
   * dead runner of the run, or found in the queue after their submit command
   * gave no answer.
   */
  | { readonly type: 'job-submitted'; readonly system: BatchSystemName; readonly jobs: readonly NamedJob[]; readonly how: 'submitted' | 'adopted' | 'found' }
  | { readonly type: 'job-submit-failed'; readonly system: BatchSystemName; readonly jobs: readonly JobRef[]; readonly error: string }
  /** A task's submit command failed for a passing reason on try `tries` of `of`; it is tried again after `delayMs`. */
  | { readonly type: 'submit-backoff'; readonly system: BatchSystemName; readonly index: number; readonly tries: number; readonly of: number; readonly delayMs: number; readonly error: string }
  /** An array's submit command for `size` tasks failed for a passing reason on try `tries` of `of`; `again` of them go out again after `delayMs` (the others failed). */
  | {
      readonly type: 'array-submit-failed';
      readonly system: BatchSystemName;
      readonly size: number;
      readonly again: number;
      /** The try that failed, of how many. */
      readonly tries: number;
      readonly of: number;
      readonly delayMs: number;
      readonly error: string;
    }
  /** A submit command for `size` jobs named only `named`; the other `alone` go out one by one. */
  | { readonly type: 'submit-group-split'; readonly system: BatchSystemName; readonly size: number; readonly named: number; readonly alone: number; readonly error: string }
  /**
   * Submissions of unknown outcome, as the system's list of the run's jobs
   * answered: jobs found (watched from now on), and jobs that already ran
   * (settled by their exit status).
   */
  | {
      readonly type: 'submit-outcome-resolved';
      readonly system: BatchSystemName;
      readonly found: readonly string[];
      readonly ran: readonly { readonly index: number; readonly exitStatus: number }[];
    }
  /** The system could not say which jobs of the run exist: those submissions stay unknown. */
  | { readonly type: 'submit-outcome-unknown'; readonly system: BatchSystemName; readonly error: string }
  /** A status query failed; `retry`: failures in a row and the delay before the next, when it backs off. */
  | {
      readonly type: 'status-query-failed';
      readonly system: BatchSystemName;
      readonly error: string;
      readonly retry?: { readonly failures: number; readonly delayMs: number };
    }
  /**
   * Jobs being cancelled: the run stopped; extra jobs of tasks that already
   * have one; jobs of the run no submit command named.
   */
  | { readonly type: 'jobs-cancelled'; readonly system: BatchSystemName; readonly jobIds: readonly string[]; readonly why: 'run-stopped' | 'duplicate' | 'unnamed' }
  /** The search for jobs no submit command named could not ask the system; `b2 kill <runId>` cancels them. */
  | { readonly type: 'unnamed-jobs-unknown'; readonly system: BatchSystemName; readonly runId: string; readonly error: string }
  /**
   * A task's job ran out of memory or walltime: its next job asks for more
   * (escalate_resources), from what to what.
   */
  | {
      readonly type: 'resources-escalated';
      readonly index: number;
      readonly ranOutOf: 'memory' | 'walltime';
      readonly memoryMb?: { readonly from: number; readonly to: number };
      readonly walltimeSeconds?: { readonly from: number; readonly to: number };
    }
  /** A job adopted from a dead runner was cancelled while no runner watched it: its task is submitted again. */
  | { readonly type: 'adopted-job-cancelled'; readonly index: number; readonly system: BatchSystemName; readonly jobId: string }
  /**
   * Taking over a dead run for other tasks: its tasks in flight outside this
   * run's graph (by task id), each closed as succeeded or cancelled, and the
   * jobs cancelled for them.
   */
  | {
      readonly type: 'outside-tasks-closed';
      readonly tasks: readonly OutsideTask[];
      readonly cancelledJobs: readonly { readonly system: BatchSystemName; readonly jobIds: readonly string[] }[];
    };

export interface OutsideTask {
  readonly id: string;
  readonly attempt: number;
  readonly outcome: 'succeeded' | 'cancelled';
  readonly jobId?: string;
}

/** A task that failed: what the summary and the journal say of it. */
export interface TaskFailure {
  readonly index: number;
  readonly message: string;
  readonly reason: FailureReason;
  readonly attempts: number;
  readonly logs: LogPaths;
  readonly exitCode?: number;
  readonly jobId?: string;
  readonly detail?: string;
  /** b2's own error (not the task's): its hint, shown instead of the task's stderr. */
  readonly ownError?: { readonly hint?: string };
}
