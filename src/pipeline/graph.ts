/**
 * The task graph, built once and iteratively (no recursion: a chain of
 * 100,000 tasks must not overflow the stack). The same task required from
 * several places is one node (same id).
 */
import { UserError, errorMessage, isUserError } from '../errors.js';
import { ExternalTask, WrapperTask, outputsOf, requirementsOf, type Task } from './task.js';

export type InitialState =
  /** Its outputs exist (or, for a wrapper, all its requirements are complete). */
  | 'complete'
  /** To be run. */
  | 'incomplete'
  /** An external task whose outputs are missing: it cannot be made here. */
  | 'missing-external';

export interface GraphNode {
  readonly index: number;
  readonly id: string;
  readonly task: Task;
  readonly family: string;
  /** Indices of the nodes this one requires (empty when not expanded because complete). */
  readonly deps: number[];
  /** Indices of the nodes that require this one. */
  readonly dependants: number[];
  initial: InitialState;
  /** The node that first required this one (-1 for roots): lets another process re-create the task. */
  readonly parent: number;
}

export interface TaskGraph {
  readonly nodes: readonly GraphNode[];
  readonly byId: ReadonlyMap<string, number>;
  readonly roots: readonly number[];
}

export interface BuildOptions {
  /** Do not expand the requirements of complete tasks (what `run` needs); false expands everything. */
  readonly pruneComplete: boolean;
}

const usesDerivedCompleteness = (task: Task): boolean => task.complete === WrapperTask.prototype.complete;

/** Call user code, turning its exceptions into one readable error naming the task. */
const guarded = <T>(task: Task, what: string, fn: () => T): T => {
  try {
    return fn();
  } catch (error) {
    if (isUserError(error)) throw error;
    throw new UserError('task-error', `${task.toString()}.${what} threw: ${errorMessage(error)}`, { cause: error });
  }
};

export const buildGraph = (roots: readonly Task[], options: BuildOptions): TaskGraph => {
  const nodes: GraphNode[] = [];
  const byId = new Map<string, number>();
  const pending: number[] = [];

  const nodeFor = (task: Task, parent: number): number => {
    const id = task.taskId;
    const existing = byId.get(id);
    if (existing !== undefined) return existing;
    const index = nodes.length;
    nodes.push({ index, id, task, family: task.taskFamily, deps: [], dependants: [], initial: 'incomplete', parent });
    byId.set(id, index);
    pending.push(index);
    return index;
  };

  const rootIndices = roots.map((task) => nodeFor(task, -1));
  while (pending.length > 0) {
    const node = nodes[pending.pop()!]!;
    const task = node.task;
    if (options.pruneComplete && !usesDerivedCompleteness(task) && guarded(task, 'complete()', () => task.complete())) {
      node.initial = 'complete';
      continue;
    }
    if (task instanceof ExternalTask) {
      node.initial = guarded(task, 'complete()', () => task.complete()) ? 'complete' : 'missing-external';
      continue;
    }
    const required = guarded(task, 'requires()', () => requirementsOf(task).tasks);
    // A task may list the same requirement twice; a set keeps wide fan-ins linear.
    const seen = new Set<number>();
    for (const dependency of required) {
      const depIndex = nodeFor(dependency, node.index);
      if (seen.has(depIndex)) continue;
      seen.add(depIndex);
      node.deps.push(depIndex);
      nodes[depIndex]!.dependants.push(node.index);
    }
  }

  const graph: TaskGraph = { nodes, byId, roots: rootIndices };
  const cycle = findCycle(graph);
  if (cycle) {
    throw new UserError('cycle', `The task graph has a cycle: ${cycle.map((i) => nodes[i]!.task.toString()).join(' -> ')}.`, {
      hint: 'A task must not require itself, directly or through other tasks. Check the requires() methods along this loop.',
    });
  }
  checkDistinctOutputs(graph);
  settleInitialStates(graph, options);
  return graph;
};

/** A loop of node indices (first == last), or undefined. Iterative three-colour DFS. */
export const findCycle = (graph: TaskGraph): number[] | undefined => {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Uint8Array(graph.nodes.length);
  const nextDep = new Uint32Array(graph.nodes.length);
  for (let start = 0; start < graph.nodes.length; start++) {
    if (colour[start] !== WHITE) continue;
    const stack = [start];
    colour[start] = GREY;
    while (stack.length > 0) {
      const current = stack[stack.length - 1]!;
      const deps = graph.nodes[current]!.deps;
      if (nextDep[current]! < deps.length) {
        const dep = deps[nextDep[current]!++]!;
        if (colour[dep] === GREY) {
          const loop = stack.slice(stack.indexOf(dep));
          loop.push(dep);
          return loop;
        }
        if (colour[dep] === WHITE) {
          colour[dep] = GREY;
          stack.push(dep);
        }
      } else {
        colour[current] = BLACK;
        stack.pop();
      }
    }
  }
  return undefined;
};

const checkDistinctOutputs = (graph: TaskGraph): void => {
  const owner = new Map<string, number>();
  for (const node of graph.nodes) {
    const outputs = guarded(node.task, 'output()', () => outputsOf(node.task));
    for (const target of outputs) {
      const other = owner.get(target.path);
      if (other !== undefined && other !== node.index) {
        const first = graph.nodes[other]!;
        throw new UserError(
          'duplicate-output',
          `Two different tasks write the same output ${target.path}: ${first.task.toString()} and ${node.task.toString()}.`,
          { hint: 'Give them different output names, or a parameter that tells their paths apart (hidden or insignificant parameters are not in the path).' },
        );
      }
      owner.set(target.path, node.index);
    }
  }
};

/** Wrappers are complete iff all requirements are; decided children-first. */
const settleInitialStates = (graph: TaskGraph, options: BuildOptions): void => {
  const order = topologicalOrder(graph);
  for (const index of order) {
    const node = graph.nodes[index]!;
    if (node.initial !== 'incomplete') continue;
    if (usesDerivedCompleteness(node.task)) {
      if (node.deps.every((dep) => graph.nodes[dep]!.initial === 'complete')) node.initial = 'complete';
    } else if (!options.pruneComplete) {
      if (guarded(node.task, 'complete()', () => node.task.complete())) node.initial = 'complete';
    }
  }
};

/** Dependencies before dependants (Kahn). Assumes no cycle. */
export const topologicalOrder = (graph: TaskGraph): number[] => {
  const remaining = graph.nodes.map((node) => node.deps.length);
  const order: number[] = [];
  for (const node of graph.nodes) if (remaining[node.index] === 0) order.push(node.index);
  for (let i = 0; i < order.length; i++) {
    for (const dependant of graph.nodes[order[i]!]!.dependants) {
      if (--remaining[dependant]! === 0) order.push(dependant);
    }
  }
  return order;
};

/** Every node that (transitively) requires one of `start`, including `start`. */
export const downstreamOf = (graph: TaskGraph, start: readonly number[]): Set<number> => {
  const seen = new Set<number>(start);
  const queue = [...start];
  while (queue.length > 0) {
    for (const dependant of graph.nodes[queue.pop()!]!.dependants) {
      if (!seen.has(dependant)) {
        seen.add(dependant);
        queue.push(dependant);
      }
    }
  }
  return seen;
};

/**
 * The nodes a run works on: those reached from the roots without passing a
 * complete task. A complete task's requirements are never run, so in a graph
 * built with `pruneComplete: false` the incomplete nodes outside this set
 * (outputs removed under a kept one) are not made again.
 */
export const neededNodes = (graph: TaskGraph): Set<number> => {
  const needed = new Set<number>(graph.roots);
  const queue = [...graph.roots];
  while (queue.length > 0) {
    const node = graph.nodes[queue.pop()!]!;
    if (node.initial === 'complete') continue;
    for (const dep of node.deps) {
      if (!needed.has(dep)) {
        needed.add(dep);
        queue.push(dep);
      }
    }
  }
  return needed;
};
