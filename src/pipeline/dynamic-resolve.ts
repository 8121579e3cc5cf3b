/**
 * The runner's side of dynamic dependencies: re-creating the tasks a running
 * task asked for from their refs, and, when a run is taken over after its
 * runner died, giving the graph back the requests its journal recorded, so
 * that a task waiting for them starts only after them.
 */
import { UserError } from '../errors.js';
import { growGraph, type TaskGraph } from './graph.js';
import type { TaskRef } from './reconstruct.js';
import { exportedTaskClasses } from './select.js';
import { familyOf, type Task } from './task.js';

export type ResolveRequested = (requester: Task, refs: readonly TaskRef[]) => Task[];

/** Tasks from refs, by the classes the pipeline module exports; bad input naming the task when one cannot be. */
export const requestedTaskResolver = (module: Readonly<Record<string, unknown>>): ResolveRequested => {
  const classes = exportedTaskClasses(module);
  return (requester, refs) =>
    refs.map((ref) => {
      const cls = classes.get(ref.family);
      if (!cls || familyOf(cls) !== ref.family) {
        throw new UserError('dynamic-class-not-exported', `${requester.toString()} asked while running for a ${ref.family} task, whose class the pipeline module does not export.`, {
          hint: `Export class ${ref.family} from the pipeline file: a task asked for while running is re-created from its class and parameters.`,
        });
      }
      const task = new cls(ref.params);
      if (task.taskId !== ref.id) {
        throw new UserError('task-not-reproduced', `${requester.toString()} asked for ${ref.id}, but its parameters give ${task.taskId} here.`, {
          hint: 'The pipeline must build the same tasks in every process: avoid random or time-dependent parameters.',
        });
      }
      return task;
    });
};

/**
 * The requests an earlier runner of this run journaled, applied to the
 * graph of the rerun: their tasks become requirements of the tasks that
 * asked for them (those still to run). A request that no longer resolves is
 * left out: the task, run again, asks anew and hears why.
 */
/** What the journal says a task asked for (the run state of journal/state.ts fits it). */
export interface RecordedRequests {
  readonly tasks: ReadonlyMap<string, { readonly id: string; readonly requested?: readonly TaskRef[] }>;
}

export const regrowFromJournal = (graph: TaskGraph, previous: RecordedRequests, resolve: ResolveRequested): void => {
  for (const state of previous.tasks.values()) {
    if (!state.requested?.length) continue;
    const index = graph.byId.get(state.id);
    if (index === undefined || graph.nodes[index]!.initial === 'complete') continue;
    try {
      growGraph(graph, index, resolve(graph.nodes[index]!.task, state.requested));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
    }
  }
};
