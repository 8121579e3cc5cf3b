/**
 * Re-creating one task in another process (a pool worker, a batch job)
 * without rebuilding the graph: from its class and parameters when the class
 * is exported, else by walking requires() down the recorded path from a root
 * (only the tasks on that path are created).
 */
import { UserError } from '../errors.js';
import type { TaskGraph } from './graph.js';
import { exportedTaskClasses } from './select.js';
import { familyOf, paramsToJSON, requirementsOf, type Task, type TaskClass } from './task.js';

/** What another process needs to re-create a task. */
export interface TaskRef {
  readonly id: string;
  readonly family: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export const taskRef = (task: Task): TaskRef => ({ id: task.taskId, family: task.taskFamily, params: paramsToJSON(task) });

/**
 * Refs from a root down to `index`, following the node that first required
 * each one, and stopping early at a task whose class another process can find
 * by name (usually the task itself, so the path has one entry).
 */
export const refPath = (graph: TaskGraph, index: number, canStartAt: (task: Task) => boolean = () => false): TaskRef[] => {
  const path: TaskRef[] = [];
  for (let current = index; current !== -1; current = graph.nodes[current]!.parent) {
    const task = graph.nodes[current]!.task;
    path.push(taskRef(task));
    if (canStartAt(task)) break;
  }
  return path.reverse();
};

/** True for tasks whose class the module exports under its family name. */
export const exportedClassCheck = (module: Readonly<Record<string, unknown>>): ((task: Task) => boolean) => {
  const classes = exportedTaskClasses(module);
  return (task) => classes.get(task.taskFamily) === task.constructor;
};

export class TaskResolver {
  private readonly classes: Map<string, TaskClass>;

  constructor(module: Readonly<Record<string, unknown>>) {
    this.classes = exportedTaskClasses(module);
  }

  private remember(task: Task): void {
    const family = task.taskFamily;
    if (!this.classes.has(family)) this.classes.set(family, task.constructor as TaskClass);
  }

  private instantiate(ref: TaskRef): Task | undefined {
    const cls = this.classes.get(ref.family);
    if (!cls || familyOf(cls) !== ref.family) return undefined;
    const task = new cls(ref.params);
    return task.taskId === ref.id ? task : undefined;
  }

  /** The task at the end of `path` (root first). */
  resolve(path: readonly TaskRef[]): Task {
    const target = path[path.length - 1];
    if (!target) throw new Error('empty task path');
    const direct = this.instantiate(target);
    if (direct) return direct;
    let current = this.instantiate(path[0]!);
    if (!current) throw notFound(target, path[0]!);
    this.remember(current);
    for (const ref of path.slice(1)) {
      const next: Task | undefined = requirementsOf(current).tasks.find((task) => task.taskId === ref.id);
      if (!next) throw notFound(target, ref);
      this.remember(next);
      current = next;
    }
    return current;
  }
}

const notFound = (target: TaskRef, missing: TaskRef): UserError =>
  new UserError(
    'task-not-reproduced',
    `Task ${target.id} could not be re-created here: ${missing.id} (${missing.family}) was not found.`,
    {
      hint:
        'The pipeline must build the same tasks in every process: avoid random or time-dependent parameters and ' +
        'paths, and export the task classes from the pipeline module.',
    },
  );
