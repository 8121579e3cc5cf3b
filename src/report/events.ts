/** What happens during a run, as one stream of events for reporters and the journal. */
import type { TaskFailure } from '../scheduler/driver.js';

export type RunEvent =
  | { readonly type: 'task-started'; readonly index: number; readonly attempt: number }
  | { readonly type: 'task-succeeded'; readonly index: number }
  | { readonly type: 'task-failed'; readonly failure: TaskFailure; readonly willRetry: boolean }
  | { readonly type: 'task-cancelled'; readonly index: number }
  | { readonly type: 'tasks-not-run'; readonly indices: readonly number[] }
  | { readonly type: 'cancelling'; readonly inFlight: number }
  /** Free text for the user (a submission retry, a lost job, ...). */
  | { readonly type: 'info'; readonly message: string };
