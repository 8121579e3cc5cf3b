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
  const graph: TaskGraph = { nodes: [], byId: new Map(), roots: [] };
  const expander = new Expander(graph, options);
  (graph.roots as number[]).push(...roots.map((task) => expander.nodeFor(task, -1)));
  expander.expand();
  const cycle = findCycle(graph);
  if (cycle) throw cycleError(graph, cycle);
  checkDistinctOutputs(graph);
  settleInitialStates(graph, options);
  return graph;
};

/**
 * Adds nodes to a graph and expands their requirements, iteratively. Both
 * the first build and the growth of a running graph (tasks a run() asks for
 * while it runs) go through here, so that a task reached either way is the
 * same node.
 */
class Expander {
  private readonly nodes: GraphNode[];
  private readonly byId: Map<string, number>;
  private readonly pending: number[] = [];
  /** Nodes this expander created, in order. */
  readonly created: number[] = [];

  constructor(
    graph: TaskGraph,
    private readonly options: BuildOptions,
  ) {
    // The graph's own arrays: readonly to its readers, grown only here.
    this.nodes = graph.nodes as GraphNode[];
    this.byId = graph.byId as Map<string, number>;
  }

  nodeFor(task: Task, parent: number): number {
    const id = task.taskId;
    const existing = this.byId.get(id);
    if (existing !== undefined) return existing;
    const index = this.nodes.length;
    this.nodes.push({ index, id, task, family: task.taskFamily, deps: [], dependants: [], initial: 'incomplete', parent });
    this.byId.set(id, index);
    this.pending.push(index);
    this.created.push(index);
    return index;
  }

  /** Requirements of every node added since the last call, and theirs. */
  expand(): void {
    const { nodes, pending, options } = this;
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
        const depIndex = this.nodeFor(dependency, node.index);
        if (seen.has(depIndex)) continue;
        seen.add(depIndex);
        node.deps.push(depIndex);
        nodes[depIndex]!.dependants.push(node.index);
      }
    }
  }
}

const cycleError = (graph: TaskGraph, cycle: readonly number[]): UserError =>
  new UserError('cycle', `The task graph has a cycle: ${cycle.map((i) => graph.nodes[i]!.task.toString()).join(' -> ')}.`, {
    hint: 'A task must not require itself, directly or through other tasks. Check the requires() methods along this loop.',
  });

/** What growing the graph for one request did. */
export interface Growth {
  /** The requested tasks' nodes, deduplicated, in the order asked. */
  readonly requested: readonly number[];
  /** Nodes new to the graph (the requested ones and their requirements). */
  readonly added: readonly number[];
}

/**
 * Tasks that the task at `requester` asked for while it ran (dynamic
 * dependencies): added to the graph as its requirements, deduplicated by id
 * against the nodes already there, their own requires() expanded as at the
 * first build. A request that closes a loop (the requester needs itself
 * through them) is bad input naming the loop, and leaves the graph's edges
 * as they were.
 */
export const growGraph = (graph: TaskGraph, requester: number, tasks: readonly Task[]): Growth => {
  const expander = new Expander(graph, { pruneComplete: true });
  // A set keeps a request for thousands of tasks linear.
  const requested = new Set<number>();
  const requesterNode = graph.nodes[requester]!;
  try {
    for (const task of tasks) {
      // No parent: another process re-creates a requested task from its exported class.
      requested.add(expander.nodeFor(task, -1));
    }
    expander.expand();
  } catch (error) {
    dropNodes(graph, expander.created);
    throw error;
  }
  const loop = loopThrough(graph, requester, [...requested]);
  if (loop) {
    const error = cycleError(graph, loop);
    dropNodes(graph, expander.created);
    throw new UserError('cycle', `${requesterNode.task.toString()} asked at run time for a task that needs it: ${error.message.replace(/^The task graph has a cycle: /, '')}`, {
      hint: 'A task must not require itself, directly or through other tasks: check the tasks its run() requires and their requires() methods.',
    });
  }
  try {
    checkDistinctOutputs(graph, expander.created);
  } catch (error) {
    dropNodes(graph, expander.created);
    throw error;
  }
  const known = new Set(requesterNode.deps);
  for (const dep of requested) {
    if (known.has(dep)) continue;
    requesterNode.deps.push(dep);
    graph.nodes[dep]!.dependants.push(requester);
  }
  settleInitialStates(graph, { pruneComplete: true }, expander.created);
  return { requested: [...requested], added: expander.created };
};

/** Undo a failed growth: the nodes it created are always the last ones. */
const dropNodes = (graph: TaskGraph, created: readonly number[]): void => {
  if (created.length === 0) return;
  // Created in order, at the end of the graph.
  const first = created[0]!;
  const nodes = graph.nodes as GraphNode[];
  for (const node of nodes.slice(first)) {
    (graph.byId as Map<string, number>).delete(node.id);
    // A new node may require old ones: they must forget it.
    for (const dep of node.deps) {
      if (dep < first) nodes[dep]!.dependants.splice(nodes[dep]!.dependants.indexOf(node.index), 1);
    }
  }
  nodes.length = first;
  outputOwners.delete(graph);
};

/**
 * A path requester -> one of `deps` -> ... -> requester, as node indices
 * (first == last), when the new edges would close a loop. Walks only what
 * lies below the requested nodes.
 */
const loopThrough = (graph: TaskGraph, requester: number, deps: readonly number[]): number[] | undefined => {
  const cameFrom = new Map<number, number>();
  const stack: number[] = [];
  for (const dep of deps) {
    if (cameFrom.has(dep)) continue;
    cameFrom.set(dep, requester);
    stack.push(dep);
  }
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current === requester) {
      const loop = [requester];
      for (let at = cameFrom.get(requester)!; at !== requester; at = cameFrom.get(at)!) loop.push(at);
      loop.push(requester);
      return loop.reverse();
    }
    for (const dep of graph.nodes[current]!.deps) {
      if (cameFrom.has(dep)) continue;
      cameFrom.set(dep, current);
      stack.push(dep);
    }
  }
  return undefined;
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

/** Output path -> the node writing it, kept per graph so that growing it checks only the new nodes. */
const outputOwners = new WeakMap<TaskGraph, Map<string, number>>();

const checkDistinctOutputs = (graph: TaskGraph, only?: readonly number[]): void => {
  let owner = outputOwners.get(graph);
  if (owner === undefined || only === undefined) {
    owner = new Map();
    outputOwners.set(graph, owner);
    only = undefined;
  }
  for (const node of only === undefined ? graph.nodes : only.map((index) => graph.nodes[index]!)) {
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
const settleInitialStates = (graph: TaskGraph, options: BuildOptions, only?: readonly number[]): void => {
  const order = only === undefined ? topologicalOrder(graph) : orderWithin(graph, only);
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

/** Dependencies before dependants among `subset` alone (Kahn over the edges inside it). */
const orderWithin = (graph: TaskGraph, subset: readonly number[]): number[] => {
  const inside = new Set(subset);
  const remaining = new Map<number, number>();
  for (const index of subset) remaining.set(index, graph.nodes[index]!.deps.filter((dep) => inside.has(dep)).length);
  const order = subset.filter((index) => remaining.get(index) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const dependant of graph.nodes[order[i]!]!.dependants) {
      if (!inside.has(dependant)) continue;
      const left = remaining.get(dependant)! - 1;
      remaining.set(dependant, left);
      if (left === 0) order.push(dependant);
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
