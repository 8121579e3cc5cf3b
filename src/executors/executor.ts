/**
 * How the driver hands tasks to something that runs them: a pool of local
 * worker processes, the in-process test mode, or a batch system. Executors
 * report every finished task through `onOutcome`, in any order.
 */
import type { LogPaths } from '../pipeline/paths.js';
import type { TaskRef } from '../pipeline/reconstruct.js';
import type { Task } from '../pipeline/task.js';
import type { FailureReason } from '../run/failure.js';
import type { AttemptRecord } from '../run/resources.js';

export interface TaskJob {
  /** Node index in the graph. */
  readonly index: number;
  readonly task: Task;
  /** Root-to-task refs, to re-create the task in another process. */
  readonly path: readonly TaskRef[];
  readonly logs: LogPaths;
  /** 1 for the first try. */
  readonly attempt: number;
}

export type TaskOutcome =
  | { readonly index: number; readonly ok: true; readonly resources?: AttemptRecord }
  | {
      readonly index: number;
      readonly ok: false;
      /** One line: what went wrong. */
      readonly message: string;
      readonly reason: FailureReason;
      /** The user stopped it: not a failure of the task. */
      readonly cancelled?: boolean;
      readonly exitCode?: number;
      readonly jobId?: string;
      /** Extra lines for the failure summary (hold reason, queue state, ...). */
      readonly detail?: string;
      /** What the attempt used, or what is known of it when it could not say. */
      readonly resources?: AttemptRecord;
    };

/** The user stopped the run: not a failure of the task. */
export const cancelledOutcome = (index: number, jobId?: string): TaskOutcome => ({
  index,
  ok: false,
  cancelled: true,
  message: 'cancelled',
  reason: 'cancelled',
  ...(jobId === undefined ? {} : { jobId }),
});

export interface Executor {
  readonly name: string;
  /** Tasks that may be in flight at once. */
  readonly capacity: number;
  onOutcome: (outcome: TaskOutcome) => void;
  start(job: TaskJob): void;
  /** Stop everything in flight; each gets a cancelled outcome. */
  cancelAll(): Promise<void>;
  /** Release resources once no task is in flight. */
  close(): Promise<void>;
}
