/**
 * Resource accounting end to end: what each attempt used, measured by the
 * local worker and by the batch job's worker, in the journal and in
 * `b2 status --json`.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { B2_BIN, makeProject, runB2 } from '../helpers/b2.js';
import { journalEntries, waitFor } from '../helpers/runs.js';
import { burnPipeline, expectPlausible, type TaskJson } from './resources-fixtures.js';

const burns = (dir: string, env?: NodeJS.ProcessEnv): TaskJson[] => {
  const status = runB2(['status', '--json'], { cwd: dir, ...(env ? { env } : {}) });
  expect(status.code).toBe(0);
  return (JSON.parse(status.stdout) as { tasks: TaskJson[] }).tasks.filter((task) => task.family === 'Burn');
};

const cluster = useFakeClusters();

describe('resource accounting', () => {
  it('local: the pool worker measures each task, and status --json carries it', () => {
    const dir = makeProject({ 'pipeline.ts': burnPipeline() });
    const run = runB2(['run', 'pipeline.ts', '--workers', '2', '--setting', 'memory=1GB', '--setting', 'cpus=2'], { cwd: dir });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    const tasks = burns(dir);
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expectPlausible(task);
      expect(task.resources![0]!.requested).toEqual({ cpus: 2, memoryMb: 1024 });
      expect(task.submittedAt).toBeUndefined();
    }
    expect(journalEntries(dir).filter((e) => e.type === 'resources')).toHaveLength(4);
  });

  it('local: a worker that ran a big task before measures the next one from its own peak, not the earlier one', () => {
    const dir = makeProject({
      'pipeline.ts': `
import { writeFileSync } from 'node:fs';
import { Task, param } from 'b2';
export class Step extends Task.with({ n: param.int() }) {
  *requires() { if (this.n > 0) yield new Step({ n: this.n - 1 }); }
  *output() { yield this.addToOutput('step.txt'); }
  run() {
    const keep = this.n === 0 ? Buffer.alloc(300 * 1024 * 1024, 1) : Buffer.alloc(1);
    writeFileSync(this.getOutputFileName('step.txt'), String(keep.length));
  }
}
export default new Step({ n: 1 });
`,
    });
    const run = runB2(['run', 'pipeline.ts', '--workers', '1'], { cwd: dir });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    const peaks = journalEntries(dir).flatMap((e) => (e.type === 'resources' && 'measured' in e ? [e.measured.maxRssMb] : []));
    expect(peaks).toHaveLength(2);
    expect(peaks[0]).toBeGreaterThanOrEqual(300);
    expect(peaks[1]).toBeLessThan(200);
  });

  it('batch (LSF simulator): the job writes its measurement next to its exit status; the runner journals it with the submission time', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': burnPipeline() });
    const run = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', '--workers', '10', ...FAST, '--setting', 'memory=2GB'], { cwd: dir, env: fake.env });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    for (const task of burns(dir, fake.env)) {
      expectPlausible(task);
      expect(task.resources![0]!.requested).toEqual({ memoryMb: 2048 });
      expect(Date.parse(task.startedAt!)).toBeGreaterThanOrEqual(Date.parse(task.submittedAt!) - 1000);
      expect(task.queueWaitSeconds).toBeGreaterThanOrEqual(0);
    }
  });
});

/** A finished run's journal: 10 tasks of Fit measured (peaks 100..1000 MB, walls 60..600 s, 4 GB asked), 2 of Plot. */
const syntheticRun = (dir: string): void => {
  const runDir = path.join(dir, '.b2', 'runs', '20261207-000000-synthetic');
  mkdirSync(runDir, { recursive: true });
  const entries: object[] = [{ t: 1, type: 'run-started', runId: 'synthetic', pid: 1, host: 'h', pipeline: path.join(dir, 'pipeline.ts'), roots: [], mode: 'batch', tag: 'x', total: 12, toRun: 12 }];
  const add = (family: string, i: number, peak: number, wall: number) => {
    const id = `${family}_${i}`;
    entries.push({ t: 2, type: 'task', id, family, params: { i }, logDir: '' });
    entries.push({ t: 3, type: 'submitted', id, attempt: 1, system: 'slurm', jobId: String(i) });
    entries.push({
      t: 4,
      type: 'resources',
      id,
      measured: { attempt: 1, submittedAt: 0, startedAt: 30_000, endedAt: 30_000 + wall * 1000, exitCode: 0, wallSeconds: wall, cpuSeconds: wall / 2, maxRssMb: peak, host: 'wn', requested: { memoryMb: 4096 } },
    });
    entries.push({ t: 5, type: 'succeeded', id, attempt: 1 });
  };
  for (let i = 1; i <= 10; i++) add('Fit', i, i * 100, i * 60);
  for (let i = 1; i <= 2; i++) add('Plot', i, 50, 5);
  entries.push({ t: 6, type: 'run-finished', exitCode: 0 });
  writeFileSync(path.join(runDir, 'journal.jsonl'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
};

describe('b2 status on measured runs', () => {
  it('--suggest prints settings lines per family with enough samples, and JSON with --json', () => {
    const dir = makeProject({ 'pipeline.ts': burnPipeline() });
    syntheticRun(dir);
    const text = runB2(['status', '--suggest'], { cwd: dir });
    expect(text.code).toBe(0);
    // p95 of 100..1000 MB is 1000 MB: × 1.2 = 1200 -> 1280 MB; of 60..600 s is 600 s: × 1.5 = 900 s = 15 min.
    expect(text.stdout).toContain("// Fit: 10 attempts, peak memory p95 1000 MB, wall time p95 10m 00s; asked for memory 4GB\nmemory = '1280MB';\nwalltime = '15m';");
    expect(text.stdout).toContain('// too few succeeded attempts: Plot (2)');
    const json = JSON.parse(runB2(['status', '--suggest', '--json'], { cwd: dir }).stdout) as { families: Array<{ family: string; memoryMb: number; walltimeSeconds: number }>; skipped: unknown[]; minSamples: number };
    expect(json.families).toMatchObject([{ family: 'Fit', memoryMb: 1280, walltimeSeconds: 900, memory: '1280MB', walltime: '15m' }]);
    expect(json.skipped).toEqual([{ family: 'Plot', samples: 2 }]);
    expect(json.minSamples).toBe(5);
  });

  it('shows per family wall time, queue wait, CPU and memory use, and flags tasks that used little of what they asked for', () => {
    const dir = makeProject({ 'pipeline.ts': burnPipeline() });
    syntheticRun(dir);
    const status = runB2(['status'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/task\s+measured\s+wall median\s+wall p95\s+queue wait median\s+peak mem p95\s+cpu use\s+mem use/);
    expect(status.stdout).toMatch(/Fit\s+10\s+5m 00s\s+10m 00s\s+30s\s+1000 MB\s+50%\s+12%/);
    expect(status.stdout).toContain('! Fit: 8 of 10 task(s) used less than 20% of the memory they asked for (e.g. Fit_1)');
    expect(status.stdout).toContain('! Plot: 2 of 2 task(s) used less than 20% of the memory they asked for');
  });
});

/** One task that keeps ~300 MB resident for 2 s. */
const hungryPipeline = `
import { writeFileSync } from 'node:fs';
import { Task } from 'b2';
export class Hungry extends Task {
  *output() { yield this.addToOutput('hungry.txt'); }
  async run() {
    const keep = Buffer.alloc(300 * 1024 * 1024, 1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    writeFileSync(this.getOutputFileName('hungry.txt'), String(keep.length));
  }
}
export default new Hungry();
`;

describe('escalation on the LSF simulator (which enforces -M)', () => {
  const memoryLimits = (fake: ReturnType<typeof cluster>): string[] =>
    fake.calls().filter((c) => c.cmd === 'bsub').map((c) => c.argv[c.argv.indexOf('-M') + 1]!);

  it('a task killed for memory is retried asking for escalate_resources times as much, and its attempts are recorded', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': hungryPipeline });
    const settings = ['--setting', 'memory=200MB', '--setting', 'retries=2', '--setting', 'escalate_resources=2'];
    const run = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', ...FAST, ...settings], { cwd: dir, env: fake.env });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    expect(run.output).toContain('ran out of memory: a retry asks for memory 400 MB (was 200 MB) (escalate_resources)');
    expect(memoryLimits(fake)).toEqual(['200MB', '400MB']);
    const entries = journalEntries(dir);
    expect(entries.find((e) => e.type === 'failed')).toMatchObject({ reason: 'memory', final: false });
    const task = (JSON.parse(runB2(['status', '--json'], { cwd: dir, env: fake.env }).stdout) as { tasks: Array<TaskJson & { unmeasured?: unknown[] }> }).tasks[0]!;
    expect(task.unmeasured).toEqual([expect.objectContaining({ attempt: 1, reason: 'memory', requested: { memoryMb: 200 } })]);
    expect(task.resources).toEqual([expect.objectContaining({ attempt: 2, exitCode: 0, requested: { memoryMb: 400 } })]);
    expect(task.resources![0]!.maxRssMb).toBeGreaterThanOrEqual(300);
  });

  it('a task that timed out is retried with escalated walltime', () => {
    const fake = cluster();
    // A run-limit minute lasts 2 s here: -W 1 ends the job after 2 s.
    fake.setFaults({ lsfSecondsPerRunLimitMinute: 2 });
    const dir = makeProject({
      'pipeline.ts': `
import { writeFileSync } from 'node:fs';
import { Task } from 'b2';
export class Slow extends Task {
  *output() { yield this.addToOutput('slow.txt'); }
  async run() {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    writeFileSync(this.getOutputFileName('slow.txt'), 'done');
  }
}
export default new Slow();
`,
    });
    const settings = ['--setting', 'walltime=60', '--setting', 'retries=1', '--setting', 'escalate_resources=3'];
    const run = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', ...FAST, ...settings], { cwd: dir, env: fake.env });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    expect(run.output).toContain('ran out of walltime: a retry asks for walltime 180 s (was 60 s)');
    const limits = fake.calls().filter((c) => c.cmd === 'bsub').map((c) => c.argv[c.argv.indexOf('-W') + 1]);
    expect(limits).toEqual(['0:01', '0:03']);
    expect(journalEntries(dir).find((e) => e.type === 'failed')).toMatchObject({ reason: 'timeout', final: false });
  });

  it('without escalate_resources, the retry asks for the same memory and fails the same way', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': hungryPipeline });
    const run = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', ...FAST, '--setting', 'memory=200MB', '--setting', 'retries=1'], { cwd: dir, env: fake.env });
    expect(run.code).toBe(1);
    expect(run.output).toContain('out of memory: the job used more than its memory limit (TERM_MEMLIMIT');
    expect(memoryLimits(fake)).toEqual(['200MB', '200MB']);
  });
});

describe('local out of memory', () => {
  it('a task that runs its worker out of heap fails with reason memory, and what is known of it is recorded', () => {
    const dir = makeProject({
      'pipeline.ts': `
import { Task } from 'b2';
export class Greedy extends Task {
  *output() { yield this.addToOutput('g.txt'); }
  run() { const a = []; for (;;) a.push({ x: Math.random(), y: [1, 2, 3] }); }
}
export default new Greedy();
`,
    });
    const run = runB2(['run', 'pipeline.ts'], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=100' } });
    expect(run.code).toBe(1);
    expect(run.output).toContain("the task's worker process ran out of memory (JavaScript heap out of memory");
    const entries = journalEntries(dir);
    expect(entries.find((e) => e.type === 'failed')).toMatchObject({ reason: 'memory' });
    expect(entries.find((e) => e.type === 'resources')).toMatchObject({ unmeasured: { attempt: 1, reason: 'memory', host: expect.any(String), startedAt: expect.any(Number) } });
  });
});

/** One task that runs until a file named go exists in the project folder. */
const GATED = `
import { existsSync, writeFileSync } from 'node:fs';
import { Task } from 'b2';
export class Gated extends Task {
  *output() { yield this.addToOutput('gated.txt'); }
  async run() {
    while (!existsSync(new URL('./go', import.meta.url))) await new Promise((r) => setTimeout(r, 50));
    writeFileSync(this.getOutputFileName('gated.txt'), 'done');
  }
}
export default new Gated();
`;

const startRun = (dir: string, env: NodeJS.ProcessEnv): { exited: Promise<number | null>; kill: () => void } => {
  const runner = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', ...FAST], { cwd: dir, env: { ...env, NO_COLOR: '1' }, stdio: 'ignore' });
  return { exited: new Promise((resolve) => runner.on('exit', resolve)), kill: () => runner.kill('SIGKILL') };
};

describe('taking a run over', () => {
  it('a job adopted from a dead runner is measured, with the submission time its journal gives', async () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': GATED });
    const first = startRun(dir, fake.env);
    try {
      await waitFor('the worker to start', () => existsSync(path.join(dir, 'logs', 'Gated', 'resources.json')), 30_000);
    } finally {
      first.kill();
    }
    await first.exited;
    const second = startRun(dir, fake.env);
    try {
      await waitFor('the job to be adopted', () => journalEntries(dir).some((e) => e.type === 'adopted'), 30_000);
    } catch (error) {
      // A runner left behind would outlive the test and its simulated farm.
      second.kill();
      throw error;
    } finally {
      writeFileSync(path.join(dir, 'go'), '');
    }
    expect(await second.exited).toBe(0);
    const submitted = journalEntries(dir).find((e) => e.type === 'submitted')!;
    const task = (JSON.parse(runB2(['status', '--json'], { cwd: dir, env: fake.env }).stdout) as { tasks: TaskJson[] }).tasks[0]!;
    expect(task.resources).toEqual([expect.objectContaining({ attempt: 1, exitCode: 0, submittedAt: submitted.t })]);
    expect(task.submittedAt).toBe(new Date(submitted.t).toISOString());
  });
});

describe('b2 status --refresh', () => {
  it('shows where and since when a task in flight runs, from what its worker wrote as it started', async () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': GATED });
    const { exited, kill } = startRun(dir, fake.env);
    try {
      await waitFor('the worker to start', () => existsSync(path.join(dir, 'logs', 'Gated', 'resources.json')), 30_000);
      const status = runB2(['status', '--refresh'], { cwd: dir, env: { ...fake.env, NO_COLOR: '1' } });
      expect(status.stdout).toMatch(new RegExp(`Gated\\(\\)\\s+lsf job \\d+(?:\\[\\d+\\])?\\s+attempt 1\\s+\\[running: RUN\\]\\s+on ${os.hostname()} since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
      const json = JSON.parse(runB2(['status', '--refresh', '--json'], { cwd: dir, env: fake.env }).stdout) as { tasks: Array<{ worker?: { host: string; startedAt: number } }> };
      expect(json.tasks[0]!.worker).toEqual({ host: os.hostname(), startedAt: expect.any(Number) });
    } catch (error) {
      kill();
      throw error;
    } finally {
      writeFileSync(path.join(dir, 'go'), '');
    }
    expect(await exited).toBe(0);
  });
});
