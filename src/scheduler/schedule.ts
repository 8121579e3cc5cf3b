/**
 * The schedule: which tasks may start, as a pure state machine over the graph.
 * No clock, no I/O: the driver feeds it results and asks for ready tasks, so
 * every transition can be tested with plain sequences of calls.
 *
 *   waiting --(all deps done)--> ready --take--> running --ok--> succeeded
 *                                  ^                |
 *                                  +----retry-------+--fail--> failed --> dependants: not-run
 */
import type { TaskGraph } from '../pipeline/graph.js';

export type TaskStatus =
  /** Complete before the run started: nothing to do. */
  | 'complete'
  /** Waiting for requirements. */
  | 'waiting'
  /** May start now. */
  | 'ready'
  | 'running'
  /** Ran in this run and produced its outputs. */
  | 'succeeded'
  | 'failed'
  /** A requirement failed (or is a missing external input), so this never ran. */
  | 'not-run'
  /** An external task whose outputs are missing. */
  | 'missing-external'
  /** Stopped by the user (Ctrl-C, b2 kill) before finishing. */
  | 'cancelled';

export const TASK_STATUSES: readonly TaskStatus[] = [
  'complete',
  'waiting',
  'ready',
  'running',
  'succeeded',
  'failed',
  'not-run',
  'missing-external',
  'cancelled',
];

/** A queue of node indices that compacts itself as it is consumed. */
class Fifo {
  private items: number[] = [];
  private head = 0;

  push(index: number): void {
    this.items.push(index);
  }

  shift(): number | undefined {
    if (this.head >= this.items.length) return undefined;
    const index = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return index;
  }

}

/** States a task never leaves that its dependants cannot run after. */
export const FAILED_FOR_GOOD: ReadonlySet<TaskStatus> = new Set(['failed', 'not-run', 'missing-external', 'cancelled']);

/** States in which a task's outputs are there for its dependants. */
export const DONE: ReadonlySet<TaskStatus> = new Set(['complete', 'succeeded']);

export class Schedule {
  readonly status: TaskStatus[];
  /** Unfinished requirements per node (grows with the graph). */
  private readonly blockers: number[];
  private readonly readyQueue = new Fifo();
  /** Ready tasks that a task waiting for what it asked for needs: they go first. */
  private readonly urgentQueue = new Fifo();
  private readonly urgent = new Set<number>();
  private readonly counts = new Map<TaskStatus, number>();

  constructor(readonly graph: TaskGraph) {
    const size = graph.nodes.length;
    this.status = new Array<TaskStatus>(size);
    this.blockers = new Array<number>(size).fill(0);
    for (const status of TASK_STATUSES) this.counts.set(status, 0);
    this.place(graph.nodes.map((node) => node.index));
  }

  /** Initial states of `indices` (new to the schedule), from the graph and the states of their requirements; returns those not run. */
  private place(indices: readonly number[]): number[] {
    for (const index of indices) {
      const initial = this.graph.nodes[index]!.initial;
      this.set(index, initial === 'complete' ? 'complete' : initial === 'missing-external' ? 'missing-external' : 'waiting');
    }
    const blocked: number[] = [];
    const ready: number[] = [];
    for (const index of indices) {
      if (this.status[index] !== 'waiting') continue;
      let open = 0;
      for (const dep of this.graph.nodes[index]!.deps) {
        const depStatus = this.status[dep];
        if (depStatus !== undefined && FAILED_FOR_GOOD.has(depStatus)) blocked.push(index);
        if (depStatus !== 'complete' && depStatus !== 'succeeded') open++;
      }
      this.blockers[index] = open;
      if (open === 0) ready.push(index);
    }
    for (const index of ready) this.makeReady(index);
    return blocked.flatMap((index) => this.markNotRun(index));
  }

  /**
   * Nodes the graph grew by (see growGraph): placed like the first ones,
   * against the current states of what they require. Returns those that
   * will not run (they need a task that failed, or a missing external).
   */
  grow(added: readonly number[]): number[] {
    for (const index of added) this.blockers[index] = 0;
    return this.place(added);
  }

  /**
   * A running task ended to wait for tasks it asked for (a batch job that
   * exits "needs dependencies"): it waits like a task that was never started,
   * for those of `deps` not yet done, and starts again once they are.
   * Returns the tasks that will now not run (itself and its dependants, when
   * one of `deps` failed for good).
   */
  awaitDependencies(index: number, deps: readonly number[]): number[] {
    this.expect(index, 'running');
    this.set(index, 'waiting');
    let open = 0;
    let blocked = false;
    for (const dep of new Set(deps)) {
      const status = this.status[dep]!;
      if (FAILED_FOR_GOOD.has(status)) blocked = true;
      if (status !== 'complete' && status !== 'succeeded') open++;
    }
    this.blockers[index] = open;
    if (blocked) return this.markNotRun(index);
    if (open === 0) this.makeReady(index);
    return [];
  }

  private set(index: number, status: TaskStatus): void {
    const previous = this.status[index];
    if (previous !== undefined) this.counts.set(previous, this.counts.get(previous)! - 1);
    this.status[index] = status;
    this.counts.set(status, this.counts.get(status)! + 1);
  }

  private makeReady(index: number): void {
    this.set(index, 'ready');
    (this.urgent.has(index) ? this.urgentQueue : this.readyQueue).push(index);
  }

  /**
   * Up to `max` ready tasks, now marked running: first those a waiting task
   * needs (see `prioritize`), then, unless `urgentOnly`, the others (oldest
   * first in each).
   */
  take(max: number, urgentOnly = false): number[] {
    const taken: number[] = [];
    for (const queue of urgentOnly ? [this.urgentQueue] : [this.urgentQueue, this.readyQueue]) {
      while (taken.length < max) {
        const index = queue.shift();
        if (index === undefined) break;
        // A task may be queued twice (made urgent while ready): the second entry finds it running.
        if (this.status[index] !== 'ready') continue;
        this.set(index, 'running');
        taken.push(index);
      }
    }
    return taken;
  }

  /**
   * The tasks `indices` and everything they still wait for go before all
   * others: a task waits for them, holding a process (locally) while it does.
   */
  prioritize(indices: readonly number[]): void {
    const stack = [...indices];
    while (stack.length > 0) {
      const index = stack.pop()!;
      const status = this.status[index];
      // Through running tasks too: one that fails and is retried is still needed first.
      if (this.urgent.has(index) || (status !== 'waiting' && status !== 'ready' && status !== 'running')) continue;
      this.urgent.add(index);
      if (status === 'ready') this.urgentQueue.push(index);
      stack.push(...this.graph.nodes[index]!.deps);
    }
  }


  /** A running task finished with its outputs in place; returns tasks that became ready. */
  succeeded(index: number): number[] {
    this.expect(index, 'running');
    this.set(index, 'succeeded');
    const ready: number[] = [];
    for (const dependant of this.graph.nodes[index]!.dependants) {
      if (this.status[dependant] !== 'waiting') continue;
      if (--this.blockers[dependant]! === 0) {
        this.makeReady(dependant);
        ready.push(dependant);
      }
    }
    return ready;
  }

  /** A running task failed for good; returns the tasks that will now not run. */
  failed(index: number): number[] {
    this.expect(index, 'running');
    this.set(index, 'failed');
    return this.markNotRun(index, false);
  }

  /** A running task goes back to the queue for another attempt. */
  retry(index: number): void {
    this.expect(index, 'running');
    this.makeReady(index);
  }

  /** A running task was stopped by the user. */
  cancelled(index: number): void {
    this.expect(index, 'running');
    this.set(index, 'cancelled');
  }

  /** Marks every transitive dependant of `index` not-run (and `index` itself when asked). */
  private markNotRun(index: number, includeSelf = true): number[] {
    const affected: number[] = [];
    const queue = includeSelf ? [index] : [...this.graph.nodes[index]!.dependants];
    while (queue.length > 0) {
      const current = queue.pop()!;
      const status = this.status[current];
      if (status !== 'waiting' && status !== 'ready') continue;
      this.set(current, 'not-run');
      affected.push(current);
      queue.push(...this.graph.nodes[current]!.dependants);
    }
    return affected;
  }

  private expect(index: number, status: TaskStatus): void {
    if (this.status[index] !== status) {
      throw new Error(`task ${this.graph.nodes[index]!.id} is ${this.status[index]}, not ${status}`);
    }
  }

  count(status: TaskStatus): number {
    return this.counts.get(status)!;
  }

  /** Nothing is running and nothing can start. */
  get finished(): boolean {
    return this.count('running') === 0 && this.count('ready') === 0;
  }

  get hasReady(): boolean {
    return this.count('ready') > 0;
  }

  /** Anything that did not end complete or succeeded. */
  get anyFailed(): boolean {
    return (
      this.count('failed') + this.count('not-run') + this.count('missing-external') + this.count('cancelled') + this.count('waiting') > 0
    );
  }
}
