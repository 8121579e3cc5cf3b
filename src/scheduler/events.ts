/** What happens during a run, as one stream of events for reporters and the journal. */
import type { LogPaths } from '../pipeline/paths.js';
import type { FailureReason } from '../run/failure.js';
import type { AttemptRecord } from '../run/resources.js';

export type RunEvent =
  | { readonly type: 'task-started'; readonly index: number; readonly attempt: number }
  | { readonly type: 'task-succeeded'; readonly index: number }
  | { readonly type: 'task-failed'; readonly failure: TaskFailure; readonly willRetry: boolean }
  | { readonly type: 'task-cancelled'; readonly index: number }
  /** What an attempt used (or what is known of one that could not say), before its outcome. */
  | { readonly type: 'task-measured'; readonly index: number; readonly record: AttemptRecord }
  | { readonly type: 'tasks-not-run'; readonly indices: readonly number[] }
  | { readonly type: 'cancelling'; readonly inFlight: number }
  /** Free text for the user (a submission retry, a lost job, ...). */
  | { readonly type: 'info'; readonly message: string };

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
