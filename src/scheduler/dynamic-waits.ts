/**
 * Tasks that wait, while they run, for tasks they asked for (a local run()
 * in `await this.require(...)`). Pure bookkeeping: the driver says which
 * tasks finished how, and hears which waits are over.
 */
import { DONE, FAILED_FOR_GOOD, type TaskStatus } from './schedule.js';

export interface Wait<A> {
  /** The waiting task's node. */
  readonly requester: number;
  /** Whatever the caller needs to answer the task (its reply channel). */
  readonly answer: A;
}

export type WaitResult<A> =
  | { readonly wait: Wait<A>; readonly ok: true }
  /** `failed`: the requested node that failed for good (or will never run). */
  | { readonly wait: Wait<A>; readonly ok: false; readonly failed: number };

interface Open<A> {
  readonly wait: Wait<A>;
  readonly pending: Set<number>;
}

export class DynamicWaits<A> {
  private readonly byDep = new Map<number, Set<Open<A>>>();
  private readonly perRequester = new Map<number, number>();

  /**
   * A task waits for `deps`; returns the result at once when their states
   * (`statusOf`) already settle it, else undefined until `settle` does.
   */
  add(wait: Wait<A>, deps: readonly number[], statusOf: (index: number) => TaskStatus): WaitResult<A> | undefined {
    const pending = new Set<number>();
    for (const dep of deps) {
      const status = statusOf(dep);
      if (FAILED_FOR_GOOD.has(status)) return { wait, ok: false, failed: dep };
      if (!DONE.has(status)) pending.add(dep);
    }
    if (pending.size === 0) return { wait, ok: true };
    const open: Open<A> = { wait, pending };
    for (const dep of pending) {
      let set = this.byDep.get(dep);
      if (!set) this.byDep.set(dep, (set = new Set()));
      set.add(open);
    }
    this.perRequester.set(wait.requester, (this.perRequester.get(wait.requester) ?? 0) + 1);
    return undefined;
  }

  /** `index` finished: done (`ok`), or failed for good. Returns the waits this ends. */
  settle(index: number, ok: boolean): WaitResult<A>[] {
    const waiting = this.byDep.get(index);
    if (!waiting) return [];
    this.byDep.delete(index);
    const results: WaitResult<A>[] = [];
    for (const open of waiting) {
      open.pending.delete(index);
      if (ok && open.pending.size > 0) continue;
      // A failure ends the wait at once: the other requested tasks are not waited for.
      for (const other of open.pending) this.byDep.get(other)?.delete(open);
      open.pending.clear();
      this.end(open.wait.requester);
      results.push(ok ? { wait: open.wait, ok: true } : { wait: open.wait, ok: false, failed: index });
    }
    return results;
  }

  /** Open waits of a task (it may await several requests at once). */
  openFor(requester: number): number {
    return this.perRequester.get(requester) ?? 0;
  }

  /** Forget every wait of a task (it ended: its worker died, or the run is cancelled). */
  drop(requester: number): void {
    for (const [dep, set] of this.byDep) {
      for (const open of set) if (open.wait.requester === requester) set.delete(open);
      if (set.size === 0) this.byDep.delete(dep);
    }
    this.perRequester.delete(requester);
  }

  /** Ends every open wait (the run is being cancelled): each once. */
  drain(): Wait<A>[] {
    const all = new Set<Open<A>>();
    for (const set of this.byDep.values()) for (const open of set) all.add(open);
    this.byDep.clear();
    this.perRequester.clear();
    return [...all].map((open) => open.wait);
  }

  private end(requester: number): void {
    const left = (this.perRequester.get(requester) ?? 1) - 1;
    if (left > 0) this.perRequester.set(requester, left);
    else this.perRequester.delete(requester);
  }
}
