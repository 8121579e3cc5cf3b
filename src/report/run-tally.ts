/** A run's counts, overall and per family, kept from its event stream (no clock, no output). */
import type { TaskGraph } from '../pipeline/graph.js';
import type { RunEvent } from '../scheduler/events.js';
import type { FamilyCounts } from './run-view-model.js';

interface FamilyTally {
  total: number;
  done: number;
  running: number;
  failed: number;
}

export class RunTally {
  readonly running = new Set<number>();
  succeeded = 0;
  failed = 0;
  notRun = 0;
  retrying = 0;
  /** Tasks to run in this run (grows as running tasks ask for tasks not yet made), and those complete before it. */
  toRun: number;
  readonly complete: number;
  private readonly families = new Map<string, FamilyTally>();

  constructor(private readonly graph: TaskGraph) {
    let complete = 0;
    for (const node of graph.nodes) {
      if (node.initial === 'complete') {
        complete++;
        continue;
      }
      const family = this.families.get(node.family) ?? { total: 0, done: 0, running: 0, failed: 0 };
      family.total++;
      this.families.set(node.family, family);
    }
    this.complete = complete;
    this.toRun = graph.nodes.length - complete;
  }

  /** Tasks settled: succeeded, failed for good, or not run. */
  get done(): number {
    return this.succeeded + this.failed + this.notRun;
  }

  get familyCount(): number {
    return this.families.size;
  }

  apply(event: RunEvent): void {
    switch (event.type) {
      case 'task-started':
        this.running.add(event.index);
        this.familyOf(event.index).running++;
        return;
      case 'task-succeeded':
        this.stopped(event.index);
        this.succeeded++;
        this.familyOf(event.index).done++;
        return;
      case 'task-failed': {
        const { index } = event.failure;
        this.stopped(index);
        if (event.willRetry) {
          this.retrying++;
          return;
        }
        this.failed++;
        const family = this.familyOf(index);
        family.done++;
        family.failed++;
        return;
      }
      case 'task-cancelled':
        this.stopped(event.index);
        return;
      case 'tasks-not-run':
        this.notRun += event.indices.length;
        for (const index of event.indices) this.familyOf(index).done++;
        return;
      case 'task-waiting':
        for (const index of event.added) {
          if (this.graph.nodes[index]!.initial === 'complete') continue;
          this.toRun++;
          this.familyOf(index).total++;
        }
        // A batch job ended to wait: the task is not running until it starts again.
        if (event.restart) this.stopped(event.index);
        return;
      default:
        return;
    }
  }

  familyCounts(): FamilyCounts[] {
    return [...this.families].map(([family, counts]) => ({ family, ...counts }));
  }

  private stopped(index: number): void {
    if (this.running.delete(index)) this.familyOf(index).running--;
  }

  private familyOf(index: number): FamilyTally {
    const family = this.graph.nodes[index]!.family;
    let tally = this.families.get(family);
    if (!tally) {
      // A task complete before the run is not counted; should one run all the same, it gets a row.
      tally = { total: 0, done: 0, running: 0, failed: 0 };
      this.families.set(family, tally);
    }
    return tally;
  }
}
