import { describe, expect, it } from '@jest/globals';
import type { GraphNode, TaskGraph } from '../../src/pipeline/graph.js';
import { Schedule } from '../../src/scheduler/schedule.js';
import type { Task } from '../../src/pipeline/task.js';

/** A graph from an edge list: deps[i] = requirements of node i. */
const graphOf = (deps: number[][], initial: GraphNode['initial'][] = []): TaskGraph => {
  const nodes: GraphNode[] = deps.map((d, index) => ({
    index,
    id: `T${index}`,
    task: {} as Task,
    family: 'T',
    deps: d,
    dependants: [],
    initial: initial[index] ?? 'incomplete',
    parent: -1,
  }));
  for (const node of nodes) for (const dep of node.deps) nodes[dep]!.dependants.push(node.index);
  return { nodes, byId: new Map(nodes.map((n) => [n.id, n.index])), roots: [nodes.length - 1] };
};

describe('Schedule', () => {
  it('releases a task when its last requirement succeeds', () => {
    const schedule = new Schedule(graphOf([[], [], [0, 1]]));
    expect(schedule.take(10)).toEqual([0, 1]);
    expect(schedule.succeeded(0)).toEqual([]);
    expect(schedule.succeeded(1)).toEqual([2]);
    expect(schedule.take(10)).toEqual([2]);
    schedule.succeeded(2);
    expect(schedule.finished).toBe(true);
    expect(schedule.anyFailed).toBe(false);
  });

  it('respects the number of free slots', () => {
    const schedule = new Schedule(graphOf([[], [], [], []]));
    expect(schedule.take(2)).toEqual([0, 1]);
    expect(schedule.take(0)).toEqual([]);
    expect(schedule.count('ready')).toBe(2);
  });

  it('treats complete tasks as done from the start', () => {
    const schedule = new Schedule(graphOf([[], [0]], ['complete']));
    expect(schedule.take(5)).toEqual([1]);
  });

  it('marks transitive dependants of a failure not-run, while other branches go on', () => {
    // 0 -> 2 -> 3 ; 1 -> 4
    const schedule = new Schedule(graphOf([[], [], [0], [2], [1]]));
    expect(schedule.take(5)).toEqual([0, 1]);
    expect(schedule.failed(0).sort()).toEqual([2, 3]);
    expect(schedule.status[3]).toBe('not-run');
    expect(schedule.succeeded(1)).toEqual([4]);
    expect(schedule.take(5)).toEqual([4]);
    schedule.succeeded(4);
    expect(schedule.finished).toBe(true);
    expect(schedule.anyFailed).toBe(true);
  });

  it('requeues a task for another attempt', () => {
    const schedule = new Schedule(graphOf([[]]));
    schedule.take(1);
    schedule.retry(0);
    expect(schedule.status[0]).toBe('ready');
    expect(schedule.take(1)).toEqual([0]);
  });

  it('never runs the dependants of a missing external input', () => {
    const schedule = new Schedule(graphOf([[], [0], [1]], ['missing-external']));
    expect(schedule.take(5)).toEqual([]);
    expect(schedule.status[1]).toBe('not-run');
    expect(schedule.status[2]).toBe('not-run');
    expect(schedule.finished).toBe(true);
  });

  it('refuses impossible transitions', () => {
    const schedule = new Schedule(graphOf([[]]));
    expect(() => schedule.succeeded(0)).toThrow('is ready, not running');
  });
});
