import { describe, expect, it } from '@jest/globals';
import type { Liveness } from '../../src/journal/liveness.js';
import type { RunState, TaskPhase, TaskState } from '../../src/journal/state.js';
import type { AttemptResources } from '../../src/run/resources.js';
import { EXAMPLES_PER_GROUP, PHASES, pageModel, type ModelInput } from '../../src/views/page-model.js';

const T0 = Date.UTC(2026, 0, 1);
const finished: Liveness = { kind: 'finished', exitCode: 1, at: T0 + 100_000 };

const used = (over: Partial<AttemptResources> = {}): AttemptResources => ({
  attempt: 1,
  submittedAt: T0 + 1000,
  startedAt: T0 + 11_000,
  endedAt: T0 + 21_000,
  exitCode: 0,
  wallSeconds: 10,
  cpuSeconds: 5,
  maxRssMb: 100,
  host: 'node1',
  ...over,
});

const task = (id: string, family: string, phase: TaskPhase, extra: Partial<TaskState> = {}): TaskState => ({
  id,
  family,
  params: { n: Number(id.split('_')[1]) },
  logDir: `/logs/${id}`,
  phase,
  attempt: 1,
  jobIds: [],
  changedAt: T0,
  ...extra,
});

const runState = (tasks: TaskState[], over: Partial<RunState> = {}): RunState => ({
  started: { type: 'run-started', runId: 'r1', pid: 1, host: 'h', pipeline: '/p/pipeline.ts', roots: [], mode: 'batch', tag: 't', total: tasks.length + 5, toRun: tasks.length + 2, t: T0 },
  tasks: new Map(tasks.map((t) => [t.id, t])),
  finished: { exitCode: 1, t: T0 + 100_000 },
  lastEntryAt: T0 + 100_000,
  ...over,
});

const input = (state: RunState, over: Partial<ModelInput> = {}): ModelInput => ({
  runId: 'r1',
  state,
  liveness: finished,
  now: T0 + 200_000,
  tailOf: (t) => [`tail of ${t.id}`],
  ...over,
});

describe('pageModel', () => {
  it('counts phases, tasks complete before the run and the run wall time', () => {
    const state = runState([task('A_1', 'A', 'succeeded'), task('A_2', 'A', 'failed', { message: 'boom' }), task('B_1', 'B', 'running')]);
    const data = pageModel(input(state));
    expect(data.total).toBe(8);
    expect(data.completeBefore).toBe(3);
    expect(data.counts).toMatchObject({ succeeded: 1, failed: 1, running: 1, 'not-run': 2 });
    expect(data.wallSeconds).toBe(100);
    expect(data.runner).toEqual({ kind: 'finished', text: 'finished with exit code 1' });
  });

  it('measures each family from the latest attempt of its tasks: wall and queue spread, CPU and memory efficiency', () => {
    const tasks = Array.from({ length: 20 }, (_, i) =>
      task(`A_${i}`, 'A', 'succeeded', {
        resources: [
          used({ attempt: 1, wallSeconds: 999, cpuSeconds: 999, maxRssMb: 9999 }),
          used({ attempt: 2, wallSeconds: i + 1, cpuSeconds: (i + 1) / 2, maxRssMb: 100 + i, requested: { cpus: 1, memoryMb: 1000 } }),
        ],
      }),
    );
    const data = pageModel(input(runState([...tasks, task('B_1', 'B', 'failed')])));
    const a = data.families.find((f) => f.name === 'A')!;
    expect(a).toMatchObject({ tasks: 20, measured: 20, phases: { succeeded: 20 } });
    expect(a.wallSeconds).toEqual({ p50: 10, p95: 19, max: 20 });
    expect(a.queueSeconds).toEqual({ p50: 10, p95: 10, max: 10 });
    expect(a.cpuEfficiency).toBe(0.5);
    expect(a.maxRssMb).toEqual({ p50: 109, p95: 118, max: 119 });
    expect(a.memoryEfficiency).toBe(0.118);
    expect(a.requestedMemoryMb).toBe(1000);
    const b = data.families.find((f) => f.name === 'B')!;
    expect(b.measured).toBe(0);
    expect(b.wallSeconds).toBeUndefined();
    expect(b.cpuEfficiency).toBeUndefined();
  });

  it('counts CPU efficiency against the CPUs asked for', () => {
    const data = pageModel(input(runState([task('A_1', 'A', 'succeeded', { resources: [used({ wallSeconds: 10, cpuSeconds: 20, requested: { cpus: 4 } })] })])));
    expect(data.families[0]!.cpuEfficiency).toBe(0.5);
  });

  it('groups failures by reason and message up to numbers, biggest group first, with a few log tails each', () => {
    const failed = (id: string, message: string, reason: TaskState['reason']): TaskState => task(id, 'A', 'failed', { message, reason });
    const tasks = [
      failed('A_1', 'some_parameter 1 is not allowed', 'exit'),
      failed('A_2', 'killed by signal 9', 'signal'),
      ...Array.from({ length: 6 }, (_, i) => failed(`A_${10 + i}`, `some_parameter ${10 + i} is not allowed`, 'exit')),
      failed('A_30', 'some_parameter 30 is not allowed', 'timeout'),
    ];
    const data = pageModel(input(runState(tasks)));
    expect(data.failedTasks).toBe(9);
    expect(data.failures.map((g) => [g.reason, g.count])).toEqual([
      ['exit', 7],
      ['signal', 1],
      ['timeout', 1],
    ]);
    expect(data.failures[0]!.message).toBe('some_parameter 1 is not allowed');
    expect(data.failures[0]!.examples).toHaveLength(EXAMPLES_PER_GROUP);
    expect(data.failures[0]!.examples[0]).toEqual({ task: 'A(n=1)', logDir: '/logs/A_1', tail: ['tail of A_1'] });
  });

  it('keeps one column per task field, times in seconds since the run started', () => {
    const tasks = [
      task('A_1', 'A', 'succeeded', { resources: [used({ host: 'wn7' })] }),
      task('B_2', 'B', 'running', { changedAt: T0 + 5000 }),
      task('A_3', 'A', 'submitted'),
    ];
    const data = pageModel(input(runState(tasks)));
    expect(data.tasks.name).toEqual(['A(n=1)', 'B(n=2)', 'A(n=3)']);
    expect(data.tasks.family).toEqual([0, 1, 0]);
    expect(data.tasks.phase.map((p) => PHASES[p])).toEqual(['succeeded', 'running', 'submitted']);
    expect(data.tasks.submitted).toEqual([1, -1, -1]);
    expect(data.tasks.started).toEqual([11, 5, -1]);
    expect(data.tasks.ended).toEqual([21, -1, -1]);
    expect(data.tasks.cpu).toEqual([5, -1, -1]);
    expect(data.tasks.rss).toEqual([100, -1, -1]);
    expect(data.tasks.host).toEqual([0, -1, -1]);
    expect(data.hosts).toEqual(['wn7']);
  });

  it('times an attempt that left no measurement by what is known of it, and a queued job by its submission', () => {
    const tasks = [
      task('A_1', 'A', 'failed', { attempt: 2, resources: [used({ attempt: 1 })], unmeasured: [{ attempt: 2, submittedAt: T0 + 30_000, startedAt: T0 + 40_000, endedAt: T0 + 90_000, host: 'wn9', reason: 'memory' }] }),
      task('A_2', 'A', 'submitted', { attempt: 2, submittedAt: T0 + 50_000, resources: [used({ attempt: 1 })] }),
    ];
    const data = pageModel(input(runState(tasks)));
    expect(data.tasks.submitted).toEqual([30, 50]);
    expect(data.tasks.started).toEqual([40, -1]);
    expect(data.tasks.ended).toEqual([90, -1]);
    expect(data.hosts[data.tasks.host[0]!]).toBe('wn9');
    expect(data.tasks.host[1]).toBe(-1);
  });

  it('counts a live run up to now, and not-started tasks as pending', () => {
    const state = runState([task('A_1', 'A', 'running')]);
    delete state.finished;
    const data = pageModel(input(state, { liveness: { kind: 'alive', pid: 1, host: 'h' }, now: T0 + 42_000 }));
    expect(data.wallSeconds).toBe(42);
    expect(data.counts).toMatchObject({ pending: 2, running: 1, 'not-run': 0 });
    expect(data.runner.kind).toBe('alive');
  });
});
