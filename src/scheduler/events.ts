/** What happens during a run, as one stream of events for reporters and the journal. */
import type { LogPaths } from '../pipeline/paths.js';
import type { FailureReason } from '../run/failure.js';

export type RunEvent =
  | { readonly type: 'task-started'; readonly index: number; readonly attempt: number }
  | { readonly type: 'task-succeeded'; readonly index: number }
  | { readonly type: 'task-failed'; readonly failure: TaskFailure; readonly willRetry: boolean }
  | { readonly type: 'task-cancelled'; readonly index: number }
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
