/** A run's counts per family, kept from the event stream: what the family rows show. */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { buildGraph, type TaskGraph } from '../../src/pipeline/graph.js';
import { RunTally } from '../../src/report/run-tally.js';
import type { TaskFailure } from '../../src/scheduler/events.js';
import { freshPipelineDir, Sum } from '../pipeline/fixtures.js';

let graph: TaskGraph;
let leaves: number[];
let sum: number;
beforeEach(async () => {
  await freshPipelineDir();
  graph = buildGraph([new Sum({ count: 3 })], { pruneComplete: true });
  leaves = graph.nodes.filter((node) => node.family === 'Leaf').map((node) => node.index);
  sum = graph.nodes.find((node) => node.family === 'Sum')!.index;
});

const failure = (index: number, attempts: number): TaskFailure => ({ index, attempts, message: 'exit 1', reason: 'exit', logs: { dir: '/l', stdout: '/l/o', stderr: '/l/e' } });

describe('the run tally', () => {
  it('counts running, done and failed per family; a retry runs again, a final failure is done', () => {
    const tally = new RunTally(graph);
    expect(tally.toRun).toBe(4);
    for (const index of leaves) tally.apply({ type: 'task-started', index, attempt: 1 });
    tally.apply({ type: 'task-succeeded', index: leaves[0]! });
    tally.apply({ type: 'task-failed', failure: failure(leaves[1]!, 1), willRetry: true });
    tally.apply({ type: 'task-started', index: leaves[1]!, attempt: 2 });
    tally.apply({ type: 'task-failed', failure: failure(leaves[1]!, 2), willRetry: false });
    tally.apply({ type: 'task-cancelled', index: leaves[2]! });
    tally.apply({ type: 'tasks-not-run', indices: [sum] });
    expect(tally.familyCounts()).toEqual(
      expect.arrayContaining([
        { family: 'Leaf', total: 3, done: 2, running: 0, failed: 1 },
        { family: 'Sum', total: 1, done: 1, running: 0, failed: 0 },
      ]),
    );
    expect({ done: tally.done, failed: tally.failed, retrying: tally.retrying, running: tally.running.size }).toEqual({ done: 3, failed: 1, retrying: 1, running: 0 });
  });

  it('ignores job events: the tasks they belong to are counted by their own', () => {
    const tally = new RunTally(graph);
    tally.apply({ type: 'job-submitted', system: 'slurm', jobs: [{ index: leaves[0]!, attempt: 1, jobId: '1' }], how: 'submitted' });
    expect(tally.familyCounts().every((row) => row.running === 0 && row.done === 0)).toBe(true);
  });
});
