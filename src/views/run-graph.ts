/**
 * The family graph of a run: the families and edges its runner recorded at
 * the start, each family coloured by what became of its tasks. Without that
 * record (a run of an older b2) the families of the journal, unconnected.
 */
import { readFileSync } from 'node:fs';
import type { RunState } from '../journal/state.js';
import { familyGraphFile, type RunDir } from '../run/layout.js';
import { phaseState, type NodeState } from './node-state.js';
import { familyLevel, type FamilyGraph, type ViewGraph } from './view-graph.js';

export const readFamilyGraph = (run: RunDir): FamilyGraph | undefined => {
  try {
    return JSON.parse(readFileSync(familyGraphFile(run), 'utf8')) as FamilyGraph;
  } catch {
    return undefined;
  }
};

export const runFamilyGraph = (record: FamilyGraph | undefined, state: RunState, runOver: boolean): ViewGraph => {
  const counts = new Map<string, Partial<Record<NodeState, number>>>();
  const known = new Map<string, number>();
  for (const task of state.tasks.values()) {
    const row = counts.get(task.family) ?? {};
    const nodeState = phaseState(task.phase);
    row[nodeState] = (row[nodeState] ?? 0) + 1;
    counts.set(task.family, row);
    known.set(task.family, (known.get(task.family) ?? 0) + 1);
  }
  const families: FamilyGraph = record ?? {
    families: [...known].map(([name, tasks]) => ({ name, tasks, complete: 0 })),
    edges: [],
  };
  for (const family of families.families) {
    const row = counts.get(family.name) ?? {};
    if (family.complete > 0) row.complete = family.complete;
    const untouched = family.tasks - family.complete - (known.get(family.name) ?? 0);
    if (untouched > 0) row[runOver ? 'not-run' : 'pending'] = untouched;
    counts.set(family.name, row);
  }
  return familyLevel(families, (name) => counts.get(name) ?? {});
};
