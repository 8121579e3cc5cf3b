/**
 * The driver: moves tasks from the schedule to an executor and results back,
 * and tells the reporter. It owns no timers and spawns nothing itself.
 */
import type { TaskGraph } from '../pipeline/graph.js';
import { runsNothing, type Task } from '../pipeline/task.js';
import { logPaths, type LogPaths } from '../pipeline/paths.js';
import { refPath } from '../pipeline/reconstruct.js';
import type { Executor, TaskOutcome } from '../executors/executor.js';
import { takeOwnError } from '../executors/own-error.js';
import type { RunEvent, TaskFailure } from './events.js';
import { Schedule } from './schedule.js';

export interface DriveOptions {
  /** Extra attempts a failed task gets (setting `retries`). */
  readonly retries: (index: number) => number;
  /** Aborting cancels everything in flight and ends the run. */
  readonly signal?: AbortSignal;
  readonly emit: (event: RunEvent) => void;
  /** Called as each attempt starts (e.g. to journal it). */
  readonly onStarted?: (index: number, attempt: number, logs: LogPaths) => void;
  /** Attempts a task already used in an earlier runner of this run. */
  readonly previousAttempts?: ReadonlyMap<number, number>;
  /** Tasks another process can re-create directly (their class is exported). */
  readonly canStartAt?: (task: Task) => boolean;
}

export interface RunResult {
  readonly schedule: Schedule;
  readonly failures: readonly TaskFailure[];
  readonly cancelled: boolean;
}

export const drive = async (graph: TaskGraph, executor: Executor, options: DriveOptions): Promise<RunResult> => {
  const schedule = new Schedule(graph);
  const attempts = new Int32Array(graph.nodes.length);
  for (const [index, used] of options.previousAttempts ?? []) attempts[index] = used;
  const logs = new Map<number, LogPaths>();
  const failures: TaskFailure[] = [];
  const inbox: TaskOutcome[] = [];
  let wake: (() => void) | undefined;
  let cancelled = false;
  let inFlight = 0;

  executor.onOutcome = (outcome) => {
    inbox.push(outcome);
    wake?.();
  };

  const notRunAtStart = graph.nodes.filter((node) => schedule.status[node.index] === 'not-run').map((node) => node.index);
  if (notRunAtStart.length > 0) options.emit({ type: 'tasks-not-run', indices: notRunAtStart });

  const fill = (): void => {
    for (let settled = true; settled && !cancelled; ) {
      settled = false;
      const free = executor.capacity - inFlight;
      if (free <= 0) return;
      for (const index of schedule.take(free)) settled = start(index) || settled;
    }
  };

  /** Hand a task to the executor; true when it was settled on the spot instead. */
  const start = (index: number): boolean => {
    const node = graph.nodes[index]!;
    const attempt = ++attempts[index]!;
    if (runsNothing(node.task)) {
      // Its requirements are done, so it is: a batch job would only wait in the queue to do nothing.
      options.emit({ type: 'task-started', index, attempt });
      schedule.succeeded(index);
      options.emit({ type: 'task-succeeded', index });
      return true;
    }
    const paths = logs.get(index) ?? logPaths(node.task);
    logs.set(index, paths);
    inFlight++;
    options.onStarted?.(index, attempt, paths);
    options.emit({ type: 'task-started', index, attempt });
    executor.start({ index, task: node.task, path: refPath(graph, index, options.canStartAt), logs: paths, attempt });
    return false;
  };

  const handle = (outcome: TaskOutcome): void => {
    inFlight--;
    const index = outcome.index;
    if (outcome.resources) options.emit({ type: 'task-measured', index, record: outcome.resources });
    if (outcome.ok) {
      schedule.succeeded(index);
      options.emit({ type: 'task-succeeded', index });
      return;
    }
    if (outcome.cancelled || cancelled) {
      schedule.cancelled(index);
      options.emit({ type: 'task-cancelled', index });
      return;
    }
    const attempt = attempts[index]!;
    const willRetry = attempt <= options.retries(index);
    const own = takeOwnError(logs.get(index)!.dir);
    const failure: TaskFailure = {
      index,
      message: own?.message ?? outcome.message,
      reason: outcome.reason,
      ...(own ? { ownError: own.hint === undefined ? {} : { hint: own.hint } } : {}),
      attempts: attempt,
      logs: logs.get(index)!,
      ...(outcome.exitCode !== undefined ? { exitCode: outcome.exitCode } : {}),
      ...(outcome.jobId !== undefined ? { jobId: outcome.jobId } : {}),
      ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
    };
    if (willRetry) {
      schedule.retry(index);
      options.emit({ type: 'task-failed', failure, willRetry: true });
      return;
    }
    const notRun = schedule.failed(index);
    failures.push(failure);
    options.emit({ type: 'task-failed', failure, willRetry: false });
    if (notRun.length > 0) options.emit({ type: 'tasks-not-run', indices: notRun });
  };

  const onAbort = (): void => {
    if (cancelled) return;
    cancelled = true;
    options.emit({ type: 'cancelling', inFlight });
    wake?.();
  };
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) onAbort();

  let cancelRequested = false;
  try {
    fill();
    while (inFlight > 0 || (!cancelled && schedule.hasReady)) {
      if (cancelled && !cancelRequested) {
        cancelRequested = true;
        void executor.cancelAll();
      }
      if (inbox.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      while (inbox.length > 0) handle(inbox.shift()!);
      fill();
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await executor.close();
  }
  return { schedule, failures, cancelled };
};
