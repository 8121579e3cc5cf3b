/** The progress reporter outside a terminal, on a clock of its own: the status line and the messages of job events. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { buildGraph, type TaskGraph } from '../../src/pipeline/graph.js';
import { ProgressReporter } from '../../src/report/progress.js';
import { freshPipelineDir, Sum } from '../pipeline/fixtures.js';

let graph: TaskGraph;
let written: string[];
let reporter: ProgressReporter | undefined;
let clock: number;

beforeEach(async () => {
  await freshPipelineDir();
  graph = buildGraph([new Sum({ count: 3 })], { pruneComplete: true });
  written = [];
  clock = 1_000_000;
});
afterEach(async () => {
  await reporter?.stop();
  reporter = undefined;
});

const out = { write: (text: string) => void written.push(text), columns: 100 } as unknown as NodeJS.WriteStream;
const start = (): ProgressReporter => {
  // Started 2 s before the run (loading the pipeline); the interval never fires in a test.
  reporter = new ProgressReporter(graph, { out, display: 'lines', intervalSeconds: 3600, executorName: 'local', startedAt: clock - 2_000, now: () => clock, phases: { pipelineMs: 2_000, graphMs: 5, tasks: 4, families: 2, complete: 0, toRun: 4 } });
  return reporter;
};

describe('the status line outside a terminal', () => {
  it('gains elapsed time since b2 started and an ETA from the completion rate', () => {
    const progress = start();
    const leaves = graph.nodes.filter((node) => node.family === 'Leaf').map((node) => node.index);
    for (const index of leaves) progress.event({ type: 'task-started', index, attempt: 1 });
    expect(progress.statusLine()).toMatch(/^\[local\] 0\/4 done · 3 running · 0 failed · elapsed 2 s · ETA – \| Leaf\(/);
    clock += 10_000;
    progress.event({ type: 'task-succeeded', index: leaves[0]! });
    // One task in 10 s: the three others take 30 s.
    expect(progress.statusLine()).toMatch(/^\[local\] 1\/4 done · 2 running · 0 failed · elapsed 12 s · ETA 30 s \| /);
  });

  it('says what the batch wing reports, as text', () => {
    const progress = start();
    progress.event({ type: 'status-query-failed', system: 'slurm', error: 'squeue: timeout', retry: { failures: 1, delayMs: 20_000 } });
    progress.event({ type: 'job-submitted', system: 'slurm', jobs: [{ index: 1, attempt: 1, jobId: '9' }], how: 'submitted' });
    expect(written).toEqual(['status query to slurm failed (1x), retrying in 20 s:\nsqueue: timeout\n']);
  });
});
