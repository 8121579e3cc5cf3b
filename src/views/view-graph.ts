/**
 * The graph as a picture sees it: nodes with a label and a state, edges from
 * a requirement to the task that requires it. Task level has one node per
 * task; family level one per family, with its counts, and one edge per pair
 * of families that depend on each other. Pure.
 */
import type { TaskGraph } from '../pipeline/graph.js';
import { worstState, type NodeState } from './node-state.js';

export interface ViewNode {
  readonly label: string;
  readonly state: NodeState;
  /** Family level: tasks of the family in each state. */
  readonly counts?: Readonly<Partial<Record<NodeState, number>>>;
}

export interface ViewGraph {
  readonly level: 'task' | 'family';
  readonly nodes: readonly ViewNode[];
  /** [requirement, dependant], as node indices. */
  readonly edges: readonly (readonly [number, number])[];
}

export type GraphLevel = 'task' | 'family' | 'auto';

/** Above this many tasks, `auto` draws families: a picture of thousands of boxes shows nothing. */
export const FAMILY_LEVEL_ABOVE = 200;

export const chooseLevel = (level: GraphLevel, taskCount: number): 'task' | 'family' =>
  level === 'auto' ? (taskCount > FAMILY_LEVEL_ABOVE ? 'family' : 'task') : level;

/** Which families require which: the part of a graph a run keeps, to draw it later without the pipeline. */
export interface FamilyGraph {
  /** complete: tasks complete before the run (as the graph found them). */
  readonly families: readonly { readonly name: string; readonly tasks: number; readonly complete: number }[];
  /** [requirement, dependant], as indices into families. */
  readonly edges: readonly (readonly [number, number])[];
}

export const familyGraphOf = (graph: TaskGraph): FamilyGraph => {
  const index = new Map<string, number>();
  const families: { name: string; tasks: number; complete: number }[] = [];
  for (const node of graph.nodes) {
    let at = index.get(node.family);
    if (at === undefined) {
      at = families.length;
      index.set(node.family, at);
      families.push({ name: node.family, tasks: 0, complete: 0 });
    }
    families[at]!.tasks++;
    if (node.initial === 'complete') families[at]!.complete++;
  }
  const edges = new Map<string, [number, number]>();
  for (const node of graph.nodes) {
    const to = index.get(node.family)!;
    for (const dep of node.deps) {
      const from = index.get(graph.nodes[dep]!.family)!;
      if (from !== to) edges.set(`${from} ${to}`, [from, to]);
    }
  }
  return { families, edges: [...edges.values()] };
};

/** Labels stay readable (and within Graphviz's 16 KiB string limit). */
export const LABEL_LIMIT = 300;
const shorten = (label: string): string => (label.length > LABEL_LIMIT ? `${Array.from(label).slice(0, LABEL_LIMIT - 1).join('')}…` : label);

export const taskLevel = (graph: TaskGraph, stateOf: (index: number) => NodeState): ViewGraph => ({
  level: 'task',
  nodes: graph.nodes.map((node) => ({ label: shorten(node.task.toString()), state: stateOf(node.index) })),
  edges: graph.nodes.flatMap((node) => node.deps.map((dep) => [dep, node.index] as const)),
});

/** One node per family of `families`, labelled with its size and counts, coloured by its worst state. */
export const familyLevel = (families: FamilyGraph, countsOf: (family: string) => Partial<Record<NodeState, number>>): ViewGraph => ({
  level: 'family',
  nodes: families.families.map(({ name, tasks }) => {
    const counts = countsOf(name);
    const present = (Object.keys(counts) as NodeState[]).filter((state) => (counts[state] ?? 0) > 0);
    return { label: familyLabel(name, tasks, counts), state: present.length ? worstState(present) : 'pending', counts };
  }),
  edges: families.edges,
});

const familyLabel = (name: string, tasks: number, counts: Partial<Record<NodeState, number>>): string => {
  const parts = (Object.entries(counts) as [NodeState, number][]).filter(([, n]) => n > 0 && n < tasks).map(([state, n]) => `${n} ${state}`);
  const only = (Object.entries(counts) as [NodeState, number][]).find(([, n]) => n === tasks);
  const detail = only ? `all ${only[0]}` : parts.join(', ');
  return `${name}\n${tasks} task${tasks === 1 ? '' : 's'}${detail ? `: ${detail}` : ''}`;
};

/** Family level of a whole task graph, counting the state of each task. */
export const familyLevelOf = (graph: TaskGraph, stateOf: (index: number) => NodeState): ViewGraph => {
  const counts = new Map<string, Partial<Record<NodeState, number>>>();
  for (const node of graph.nodes) {
    const row = counts.get(node.family) ?? {};
    const state = stateOf(node.index);
    row[state] = (row[state] ?? 0) + 1;
    counts.set(node.family, row);
  }
  return familyLevel(familyGraphOf(graph), (family) => counts.get(family) ?? {});
};
