import { describe, expect, it } from '@jest/globals';
import type { RunState, TaskPhase, TaskState } from '../../src/journal/state.js';
import { runFamilyGraph } from '../../src/views/run-graph.js';
import { chooseLevel, FAMILY_LEVEL_ABOVE, familyLevel } from '../../src/views/view-graph.js';
import { worstState } from '../../src/views/node-state.js';

const task = (id: string, family: string, phase: TaskPhase): TaskState => ({ id, family, params: {}, logDir: '', phase, attempt: 1, jobIds: [], changedAt: 0 });
const state = (tasks: TaskState[]): RunState => ({ tasks: new Map(tasks.map((t) => [t.id, t])), lastEntryAt: 0 });

describe('family graphs', () => {
  it('count what the run made of each family, complete-before and untouched tasks included', () => {
    const record = { families: [{ name: 'A', tasks: 5, complete: 1 }, { name: 'B', tasks: 2, complete: 0 }], edges: [[0, 1] as const] };
    const run = state([task('A_1', 'A', 'succeeded'), task('A_2', 'A', 'failed'), task('A_3', 'A', 'running')]);
    const live = runFamilyGraph(record, run, false);
    expect(live.nodes).toEqual([
      { label: 'A\n5 tasks: 1 succeeded, 1 failed, 1 running, 1 complete, 1 pending', state: 'failed', counts: { succeeded: 1, failed: 1, running: 1, complete: 1, pending: 1 } },
      { label: 'B\n2 tasks: all pending', state: 'pending', counts: { pending: 2 } },
    ]);
    expect(live.edges).toEqual([[0, 1]]);
    expect(runFamilyGraph(record, run, true).nodes[1]!.label).toBe('B\n2 tasks: all not-run');
  });

  it('without a recorded graph, draw the families of the journal, unconnected', () => {
    const graph = runFamilyGraph(undefined, state([task('A_1', 'A', 'succeeded'), task('B_1', 'B', 'submitted')]), true);
    expect(graph.nodes.map((node) => [node.label, node.state])).toEqual([
      ['A\n1 task: all succeeded', 'succeeded'],
      ['B\n1 task: all queued', 'queued'],
    ]);
    expect(graph.edges).toEqual([]);
  });

  it('a family shows its most urgent state; auto draws families above the threshold', () => {
    expect(worstState(['succeeded', 'running', 'complete'])).toBe('running');
    expect(worstState(['pending', 'failed'])).toBe('failed');
    expect(familyLevel({ families: [{ name: 'X', tasks: 0, complete: 0 }], edges: [] }, () => ({})).nodes[0]!.state).toBe('pending');
    expect(chooseLevel('auto', FAMILY_LEVEL_ABOVE)).toBe('task');
    expect(chooseLevel('auto', FAMILY_LEVEL_ABOVE + 1)).toBe('family');
    expect(chooseLevel('task', 1e6)).toBe('task');
  });
});
