/**
 * The driver: moves tasks from the schedule to an executor and results back,
 * and tells the reporter. It owns no timers and spawns nothing itself.
 */
import { growGraph, type Growth, type TaskGraph } from '../pipeline/graph.js';
import { runsNothing, type Task } from '../pipeline/task.js';
import { logPaths, type LogPaths } from '../pipeline/paths.js';
import { refPath, type TaskRef } from '../pipeline/reconstruct.js';
import type { RequestReply } from '../pipeline/dynamic.js';
import type { Executor, TaskOutcome, TaskRequest } from '../executors/executor.js';
import { takeOwnError } from '../executors/own-error.js';
import { isUserError, UserError } from '../errors.js';
import type { FailureReason } from '../run/failure.js';
import type { RunEvent, TaskFailure } from './events.js';
import { DONE, Schedule } from './schedule.js';
import { DynamicWaits, type WaitResult } from './dynamic-waits.js';

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
  /**
   * The tasks a running task asked for (Task.require), re-created here;
   * throws a UserError for those it cannot be. Without it, requests fail.
   */
  readonly resolveRequested?: (requester: Task, refs: readonly TaskRef[]) => Task[];
  /** Starts of a task in an earlier runner of this run that were restarts for its dynamic dependencies, not failures. */
  readonly previousRestarts?: ReadonlyMap<number, number>;
}

/** A batch task that asks again and again only for tasks already made is stopped after this many restarts. */
const FRUITLESS_RESTARTS = 2;

export interface RunResult {
  readonly schedule: Schedule;
  readonly failures: readonly TaskFailure[];
  readonly cancelled: boolean;
  /** A task asked while running for tasks that cannot be made (a cycle, a class not exported): bad input. */
  readonly badInput?: UserError;
}

export const drive = async (graph: TaskGraph, executor: Executor, options: DriveOptions): Promise<RunResult> => {
  const schedule = new Schedule(graph);
  // Per node, grown with the graph: starts so far, and those that were restarts (not failures).
  const attempts: number[] = [];
  const restarts = new Map<number, number>(options.previousRestarts ?? []);
  for (const [index, used] of options.previousAttempts ?? []) attempts[index] = used;
  const logs = new Map<number, LogPaths>();
  const failures: TaskFailure[] = [];
  const inbox: ({ readonly outcome: TaskOutcome } | { readonly request: TaskRequest })[] = [];
  let wake: (() => void) | undefined;
  let cancelled = false;
  let inFlight = 0;
  let badInput: UserError | undefined;

  // A local task waiting in require() lends its slot to the tasks it waits for: with
  // --workers 1 they could not run otherwise. It gets a slot back before it goes on,
  // so no more than `capacity` tasks ever run at once; only its idle process stays.
  const waits = new DynamicWaits<(reply: RequestReply) => void>();
  const lent = new Set<number>();
  const resumeQueue: WaitResult<(reply: RequestReply) => void>[] = [];
  /** Failures that another attempt cannot mend (a request that is bad input). */
  const noRetry = new Map<number, UserError>();
  /** Batch restarts in a row for tasks that were done already. */
  const fruitless = new Map<number, number>();

  executor.onOutcome = (outcome) => {
    inbox.push({ outcome });
    wake?.();
  };
  executor.onRequest = (request) => {
    inbox.push({ request });
    wake?.();
  };

  const notRunAtStart = graph.nodes.filter((node) => schedule.status[node.index] === 'not-run').map((node) => node.index);
  if (notRunAtStart.length > 0) options.emit({ type: 'tasks-not-run', indices: notRunAtStart });

  const fill = (): void => {
    while (!cancelled && resumeQueue.length > 0 && executor.capacity - inFlight > 0) {
      const result = resumeQueue.shift()!;
      // Asked for more meanwhile: it goes on waiting, its slot still lent.
      if (waits.openFor(result.wait.requester) === 0) {
        lent.delete(result.wait.requester);
        inFlight++;
      }
      answer(result);
    }
    for (let settled = true; settled && !cancelled; ) {
      settled = false;
      const free = executor.capacity - inFlight;
      if (free <= 0) return;
      // Each waiting local task keeps its process: once there are as many as slots, the
      // slots go only to what they wait for, so that waiting tasks cannot pile up.
      const urgentOnly = lent.size >= executor.capacity;
      for (const index of schedule.take(free, urgentOnly)) settled = start(index) || settled;
    }
  };

  /** Hand a task to the executor; true when it was settled on the spot instead. */
  const start = (index: number): boolean => {
    const node = graph.nodes[index]!;
    const attempt = (attempts[index] = (attempts[index] ?? 0) + 1);
    if (runsNothing(node.task)) {
      // Its requirements are done, so it is: a batch job would only wait in the queue to do nothing.
      options.emit({ type: 'task-started', index, attempt });
      schedule.succeeded(index);
      options.emit({ type: 'task-succeeded', index });
      settleWaits(index, true);
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

  /** Waits that `index` finishing ends; a task that will not run ends them too. */
  const settleWaits = (index: number, ok: boolean): void => {
    for (const result of waits.settle(index, ok)) deliver(result);
  };

  const notRun = (indices: readonly number[]): void => {
    if (indices.length === 0) return;
    options.emit({ type: 'tasks-not-run', indices });
    for (const index of indices) settleWaits(index, false);
  };

  const deliver = (result: WaitResult<(reply: RequestReply) => void>): void => {
    const requester = result.wait.requester;
    if (lent.has(requester) && waits.openFor(requester) === 0) resumeQueue.push(result);
    else answer(result);
  };

  const answer = (result: WaitResult<(reply: RequestReply) => void>): void => {
    const requester = result.wait.requester;
    if (waits.openFor(requester) === 0) options.emit({ type: 'task-resumed', index: requester });
    result.wait.answer(result.ok ? { ok: true } : { ok: false, message: whyNotDone(requester, result.failed) });
  };

  const whyNotDone = (requester: number, dep: number): string => {
    const name = graph.nodes[dep]!.task.toString();
    const asked = `${name}, which ${graph.nodes[requester]!.task.toString()} asked for`;
    switch (schedule.status[dep]) {
      case 'failed':
        return `${asked}, failed`;
      case 'missing-external':
        return `${asked}, is an external task whose outputs are missing`;
      case 'cancelled':
        return `${asked}, was cancelled`;
      default:
        return `${asked}, did not run: a task it needs failed`;
    }
  };

  /** Graph and schedule grown by what a running task asked for; the error when that is bad input. */
  const grow = (index: number, refs: readonly TaskRef[]): Growth | UserError => {
    let growth: Growth;
    try {
      if (!options.resolveRequested) throw new UserError('no-dynamic-dependencies', 'this run cannot make tasks that a task asks for while it runs');
      growth = growGraph(graph, index, options.resolveRequested(graph.nodes[index]!.task, refs));
    } catch (error) {
      if (!isUserError(error)) throw error;
      badInput ??= error;
      noRetry.set(index, error);
      return error;
    }
    notRun(schedule.grow(growth.added));
    schedule.prioritize(growth.requested);
    return growth;
  };

  const handleRequest = (request: TaskRequest): void => {
    const index = request.index;
    // Asked by a task that has ended meanwhile (its worker died): whoever might still listen hears no.
    if (schedule.status[index] !== 'running') {
      request.answer({ ok: false, message: `${graph.nodes[index]!.task.toString()} is no longer running` });
      return;
    }
    const growth = grow(index, request.tasks);
    if (growth instanceof UserError) {
      request.answer({ ok: false, message: growth.message, ...(growth.hint === undefined ? {} : { hint: growth.hint }) });
      return;
    }
    options.emit({ type: 'task-waiting', index, requested: growth.requested, added: growth.added, restart: false });
    const now = waits.add({ requester: index, answer: request.answer }, growth.requested, (i) => schedule.status[i]!);
    if (now) {
      answer(now);
      return;
    }
    if (!lent.has(index)) {
      lent.add(index);
      inFlight--;
    }
  };

  /** A batch task ended to wait for what it asked for: it waits like an unstarted task, then starts again. */
  const restartFor = (index: number, requested: readonly TaskRef[]): void => {
    restarts.set(index, (restarts.get(index) ?? 0) + 1);
    const growth = grow(index, requested);
    if (growth instanceof UserError) {
      fail(index, { message: growth.message, reason: 'exit' }, { hint: growth.hint });
      return;
    }
    if (growth.requested.every((dep) => DONE.has(schedule.status[dep]!))) {
      const times = (fruitless.get(index) ?? 0) + 1;
      fruitless.set(index, times);
      if (times >= FRUITLESS_RESTARTS) {
        const names = growth.requested.map((dep) => graph.nodes[dep]!.task.toString()).join(', ');
        const error = new UserError('dynamic-dependency-incomplete', `${graph.nodes[index]!.task.toString()} asked ${times} times for ${names}, which this run has made already: where the job runs, complete() stays false.`, {
          hint: 'A task without outputs is never complete, and outputs must be on storage the batch nodes see.',
        });
        noRetry.set(index, error);
        fail(index, { message: error.message, reason: 'exit' }, { hint: error.hint });
        return;
      }
    } else fruitless.delete(index);
    options.emit({ type: 'task-waiting', index, requested: growth.requested, added: growth.added, restart: true });
    notRun(schedule.awaitDependencies(index, growth.requested));
  };

  const handle = (outcome: TaskOutcome): void => {
    const index = outcome.index;
    if (lent.has(index)) {
      // It ended while it waited (its process died, the run is cancelled): it holds no slot.
      lent.delete(index);
      inFlight++;
      const queued = resumeQueue.findIndex((result) => result.wait.requester === index);
      if (queued !== -1) resumeQueue.splice(queued, 1);
    }
    waits.drop(index);
    inFlight--;
    if (outcome.resources) options.emit({ type: 'task-measured', index, record: outcome.resources });
    if (outcome.ok) {
      schedule.succeeded(index);
      options.emit({ type: 'task-succeeded', index });
      settleWaits(index, true);
      return;
    }
    if (outcome.cancelled || cancelled) {
      schedule.cancelled(index);
      options.emit({ type: 'task-cancelled', index });
      settleWaits(index, false);
      return;
    }
    if (outcome.requested) {
      restartFor(index, outcome.requested);
      return;
    }
    const own = takeOwnError(logs.get(index)!.dir);
    fail(
      index,
      {
        message: own?.message ?? outcome.message,
        reason: outcome.reason,
        ...(outcome.exitCode !== undefined ? { exitCode: outcome.exitCode } : {}),
        ...(outcome.jobId !== undefined ? { jobId: outcome.jobId } : {}),
        ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
      },
      own ? { hint: own.hint } : undefined,
    );
  };

  type FailureFacts = Pick<TaskFailure, 'message' | 'exitCode' | 'jobId' | 'detail'> & { readonly reason: FailureReason };

  /** The attempt failed: retried while `retries` allows (restarts for dynamic dependencies do not count), else for good. */
  const fail = (index: number, facts: FailureFacts, ownError: { hint?: string | undefined } | undefined): void => {
    const attempt = attempts[index] ?? 0;
    const willRetry = !noRetry.has(index) && attempt - (restarts.get(index) ?? 0) <= options.retries(index);
    const failure: TaskFailure = {
      index,
      ...facts,
      ...(ownError ? { ownError: ownError.hint === undefined ? {} : { hint: ownError.hint } } : {}),
      attempts: attempt,
      logs: logs.get(index)!,
    };
    if (willRetry) {
      schedule.retry(index);
      options.emit({ type: 'task-failed', failure, willRetry: true });
      return;
    }
    const notRunNow = schedule.failed(index);
    failures.push(failure);
    options.emit({ type: 'task-failed', failure, willRetry: false });
    settleWaits(index, false);
    notRun(notRunNow);
  };

  const onAbort = (): void => {
    if (cancelled) return;
    cancelled = true;
    options.emit({ type: 'cancelling', inFlight: inFlight + lent.size });
    // Tasks waiting for what they asked for end with the run.
    for (const result of resumeQueue.splice(0)) result.wait.answer({ ok: false, message: 'the run is being stopped' });
    for (const wait of waits.drain()) wait.answer({ ok: false, message: 'the run is being stopped' });
    wake?.();
  };
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) onAbort();

  let cancelRequested = false;
  try {
    fill();
    while (inFlight > 0 || lent.size > 0 || (!cancelled && schedule.hasReady)) {
      if (cancelled && !cancelRequested) {
        cancelRequested = true;
        void executor.cancelAll();
      }
      if (inbox.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      while (inbox.length > 0) {
        const item = inbox.shift()!;
        if ('outcome' in item) handle(item.outcome);
        else if (cancelled) item.request.answer({ ok: false, message: 'the run is being stopped' });
        else handleRequest(item.request);
      }
      fill();
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await executor.close();
  }
  return { schedule, failures, cancelled, ...(badInput ? { badInput } : {}) };
};
