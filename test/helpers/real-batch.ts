/**
 * `b2 run --batch` end to end on a real Slurm or Grid Engine (started by
 * scripts/slurm-up.sh, scripts/sge-up.sh). Jobs are really submitted, so
 * every test cancels what its runs leave in the queue, by the job ids its
 * runs journaled: jobs of other suites running at the same time are never
 * touched. Each system's test file supplies a RealSystem and calls
 * describeRealBatch.
 */
import { expect } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { averagePipeline, B2_BIN, flakyPipeline, leavesPipeline, probePipeline, runB2, type B2Result } from './b2.js';
import { GATE_SCRIPT, gateSetting, journalEntries, journaledJobs, runTag, waitFor } from './runs.js';
import { expectExit, realSuite } from './real-suite.js';

export interface RealSystem {
  /** The batch_system value. */
  readonly name: 'slurm' | 'sge';
  /** describeIfSlurm / describeIfSge. */
  readonly describe: (name: string, body: () => void) => void;
  /** Jobs the system still lists as queued, running or being removed: id -> its state word. */
  readonly activeJobs: () => Map<string, string>;
  /** Whether a state word from activeJobs means the job has started. */
  readonly isRunning: (state: string) => boolean;
  /** Remove jobs; ids the system no longer knows are ignored. */
  readonly cancel: (ids: readonly string[]) => void;
  /** The environment variable holding a job's own id inside the job. */
  readonly jobIdVariable: string;
  /** A walltime the system enforces soon, and how long to allow the run that overruns it. */
  readonly walltime: { readonly setting: string; readonly runTimeoutMs: number };
  /** Every job the system still knows, finished ones included, that carries this run tag (when it can tell). */
  readonly jobsTagged?: (tag: string) => string[];
  /** The setting that submits a job held (it waits for a release), and how the system names that hold. */
  readonly held: { readonly setting: string; readonly reason: string };
}

/** Run a batch-system client; its stdout, or an error naming what failed. */
export const client = (argv: readonly string[], options: { allowFailure?: boolean } = {}): string => {
  const [bin, ...args] = argv as [string, ...string[]];
  const result = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw new Error(`${bin}: ${result.error.message}`);
  if (result.status !== 0 && !options.allowFailure) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
};

/**
 * Polled at the pace of a real queue; production poll intervals are far
 * longer. One job per task: arrays have their suite (real-arrays.ts).
 */
const FAST = ['--setting', 'poll_interval=0.5', '--setting', 'array=false'];

const JOB_SLEEP_MS = 120_000;
/** Blocks the task without burning CPU, which the other suites on a 2-core machine need. */
const sleepBody = (ms: number): string => `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});`;

/** A runner started in the background, for signals sent while its jobs run. */
interface Runner {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

const startRunner = (args: readonly string[], cwd: string): Runner => {
  // As runB2 does: no b2 settings inherited from the caller's environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('B2_')));
  const child = spawn(process.execPath, [B2_BIN, ...args], { cwd, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (data) => (output += data));
  child.stderr!.on('data', (data) => (output += data));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
};

const withTimeout = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
};

interface StatusJson {
  runner: { kind: string };
  counts: Record<string, number>;
  tasks: { id: string; family: string; params: Record<string, unknown>; phase: string; attempt: number; jobId?: string; jobIds?: string[]; message?: string }[];
}

export const describeRealBatch = (system: RealSystem): void => {
  const { test, project, track } = realSuite(system);

  /** What is still queued or running of the given jobs. */
  const stillListed = (ids: readonly string[]): string[] => {
    const active = system.activeJobs();
    return ids.filter((id) => active.has(id));
  };

  const run = (dir: string, extra: readonly string[] = [], timeoutMs = 150_000): B2Result =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '50', ...FAST, ...extra], { cwd: dir, timeoutMs });

  const status = (dir: string): StatusJson => {
    const result = runB2(['status', '--json'], { cwd: dir });
    // 0 fine, 1 failed tasks, 3 runner died (first-steps.test.ts checks which is which).
    expect(result.stderr).toBe('');
    expect([0, 1, 3]).toContain(result.code);
    return JSON.parse(result.stdout) as StatusJson;
  };

  /** A run of ten sleeping jobs, once all are submitted and some of them run. */
  const startSleepingRun = async (): Promise<{ dir: string; runner: Runner; ids: string[] }> => {
    const dir = project({ 'pipeline.ts': averagePipeline({ body: sleepBody(JOB_SLEEP_MS) }) });
    const runner = startRunner(['run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '50', ...FAST], dir);
    track(runner.child);
    await waitFor(
      'ten jobs submitted, some running',
      () => {
        const ids = journaledJobs(dir).map((job) => job.jobId);
        const active = system.activeJobs();
        const running = ids.filter((id) => system.isRunning(active.get(id) ?? ''));
        return (ids.length === 10 && running.length > 0) || `${ids.length} submitted, ${running.length} running; b2 said: ${runner.output()}`;
      },
      90_000,
    );
    return { dir, runner, ids: journaledJobs(dir).map((job) => job.jobId) };
  };

  test('runs the example, one job per task, with results, logs and the job ids in b2 status', () => {
    // Each job prints the id the batch system gave it, to compare with what b2 journaled.
    const dir = project({ 'pipeline.ts': averagePipeline({ body: `console.log('job', process.env.${system.jobIdVariable});` }) });
    const result = run(dir);
    expectExit(result, 0);
    expect(result.stdout).toMatch(/MyNumberTask\s+0\s+10\s+0\s+0/);
    expect(result.stdout).toMatch(/MyAverageTask\s+0\s+1\s+0\s+0/);
    expect(readFileSync(path.join(dir, 'average.txt'), 'utf8')).toBe('28.5');
    const log = path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask');
    expect(readFileSync(path.join(log, 'stdout'), 'utf8')).toContain('number 3');
    expect(readFileSync(path.join(log, 'exit_status'), 'utf8').trim()).toBe('0');

    const view = status(dir);
    expect(view.runner.kind).toBe('finished');
    expect(view.counts).toMatchObject({ succeeded: 11, failed: 0, submitted: 0, 'not-run': 0, pending: 0 });
    const jobIds = view.tasks.map((task) => task.jobId);
    expect(new Set(jobIds).size).toBe(11);
    for (const task of view.tasks.filter((t) => t.family === 'MyNumberTask')) {
      const stdout = readFileSync(path.join(dir, 'logs', `some_parameter=${String(task.params.some_parameter)}`, 'MyNumberTask', 'stdout'), 'utf8');
      expect(stdout).toContain(`job ${task.jobId}\n`);
    }
  }, 180_000);

  test('reports a failing task with its job id, logs and stderr while the other nine finish', () => {
    const dir = project({ 'pipeline.ts': averagePipeline({ failOn: 3 }) });
    const result = run(dir);
    expectExit(result, 1);
    expect(result.stdout).toContain('failed: MyNumberTask(some_parameter=3)');
    const jobId = /failed: MyNumberTask\(some_parameter=3\)[\s\S]*?job id:\s+(\S+)/.exec(result.stdout)?.[1];
    expect(jobId).toMatch(/^\d+$/);
    expect(result.stdout).toContain('the task exited with code 1');
    const log = path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask');
    expect(result.stdout).toContain(path.join(log, 'stdout'));
    expect(result.stdout).toContain(path.join(log, 'stderr'));
    expect(result.stdout).toContain('| about to fail');
    expect(result.stdout).toContain('| Error: some_parameter 3 is not allowed');
    expect(result.stdout).toMatch(/MyNumberTask\s+0\s+9\s+1\s+0/);
    expect(result.stdout).toMatch(/MyAverageTask\s+0\s+0\s+0\s+1/);
    for (const n of [0, 1, 2, 4, 5, 6, 7, 8, 9]) expect(existsSync(path.join(dir, `some_parameter=${n}`, 'number.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(false);
    expect(existsSync(path.join(dir, 'logs', 'MyAverageTask'))).toBe(false);

    const view = status(dir);
    expect(view.counts).toMatchObject({ succeeded: 9, failed: 1, 'not-run': 1, submitted: 0 });
    const failed = view.tasks.find((task) => task.phase === 'failed');
    expect(failed).toMatchObject({ family: 'MyNumberTask', params: { some_parameter: 3 }, jobId });
  }, 180_000);

  test('resubmits a job that fails twice, then succeeds, as three jobs', () => {
    const dir = project({ 'pipeline.ts': flakyPipeline(2) });
    const result = run(dir, ['--setting', 'retries=2']);
    expectExit(result, 0);
    expect(result.stderr).toContain('retrying MyNumberTask(some_parameter=5) (attempt 2 failed: the task exited with code 1)');
    const task = status(dir).tasks.find((t) => t.params.some_parameter === 5);
    expect(task).toMatchObject({ phase: 'succeeded', attempt: 3 });
    expect(new Set(task?.jobIds).size).toBe(3);
  }, 300_000);

  test('reports a job that overruns its walltime as timed out', () => {
    const dir = project({ 'pipeline.ts': averagePipeline({ body: sleepBody(JOB_SLEEP_MS * 2) }) });
    const result = run(dir, ['MyNumberTask', '--some-parameter', '1', '--setting', `walltime=${system.walltime.setting}`], system.walltime.runTimeoutMs);
    expectExit(result, 1);
    expect(result.stdout).toContain('failed: MyNumberTask(some_parameter=1)');
    expect(result.stdout).toContain('timed out: the job exceeded its walltime');
    expect(result.stdout).not.toContain('killed by signal');
    expect(existsSync(path.join(dir, 'some_parameter=1', 'number.txt'))).toBe(false);
    expect(status(dir).tasks[0]?.message).toMatch(/^timed out/);
  }, system.walltime.runTimeoutMs + 30_000);

  test('on Ctrl-C cancels every job of the run and exits 130', async () => {
    const { runner, ids } = await startSleepingRun();
    runner.child.kill('SIGINT');
    const code = await withTimeout(runner.exited, 90_000, 'b2 to exit after SIGINT');
    expectExit({ code, output: runner.output() }, 130);
    expect(runner.output()).toContain(`cancelling`);
    // b2 waits until the queue lets go of its jobs before it exits.
    expect(stillListed(ids)).toEqual([]);
  }, 180_000);

  test('runs 200 tasks in one run', () => {
    const dir = project({
      'pipeline.ts': leavesPipeline(200, { family: 'Leaf', param: 'i', file: 'leaf.txt' }),
    });
    const result = run(dir, ['--workers', '200'], 540_000);
    expectExit(result, 0);
    expect(result.stdout).toMatch(/Leaf\s+0\s+200\s+0\s+0/);
    for (let i = 0; i < 200; i++) expect(readFileSync(path.join(dir, `i=${i}`, 'leaf.txt'), 'utf8')).toBe(String(i));
    const leafJobs = journaledJobs(dir).filter((job) => job.taskId.startsWith('Leaf_'));
    expect(new Set(leafJobs.map((job) => job.jobId)).size).toBe(200);
  }, 600_000);

  test('brings env, env_script and working_dir into the job', () => {
    const nasty = `it's "quoted" $(echo no) \`echo no\` $HOME; a\\b ✓`;
    const dir = project({
      'pipeline.ts': probePipeline({ fromScript: 'FROM_ENV_SCRIPT', fromEnv: 'FROM_ENV', nasty: 'NASTY', jobId: system.jobIdVariable }),
      'setup.sh': 'export FROM_ENV_SCRIPT=sourced\n',
      'work/.keep': '',
    });
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({ env_script: 'setup.sh', env: { FROM_ENV: 'plain', NASTY: nasty }, working_dir: 'work' }),
    );
    const result = run(dir);
    expectExit(result, 0);
    const probe = JSON.parse(readFileSync(path.join(dir, 'probe.json'), 'utf8')) as Record<string, string>;
    const [job] = journaledJobs(dir);
    expect(probe).toEqual({ cwd: path.join(dir, 'work'), fromScript: 'sourced', fromEnv: 'plain', nasty, jobId: job?.jobId });
  }, 180_000);

  test('a rerun after kill -9 mid-burst, with 100 jobs in flight, adopts them and submits no task twice', async () => {
    // Killed once 100 of 200 jobs are journaled, while the rest are still being submitted.
    const count = 200;
    const dir = project({
      'pipeline.ts': leavesPipeline(count, { family: 'Piece', param: 'k', file: 'piece.txt' }),
      'gate.sh': GATE_SCRIPT,
    });
    const args = ['run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '200', ...FAST, ...gateSetting(dir)];
    const first = startRunner(args, dir);
    track(first.child);
    await waitFor('100 jobs submitted', () => journaledJobs(dir).length >= 100 || `${journaledJobs(dir).length} so far; b2 said: ${first.output()}`, 240_000);
    first.child.kill('SIGKILL');
    await withTimeout(first.exited, 30_000, 'the runner to die');

    // The jobs go on only once the second runner has taken them over.
    const rerun = startRunner(args, dir);
    track(rerun.child);
    await waitFor('the rerun to adopt the jobs', () => journalEntries(dir).some((entry) => entry.type === 'adopted') || rerun.output(), 120_000);
    writeFileSync(path.join(dir, 'go'), '');
    const code = await withTimeout(rerun.exited, 480_000, 'the rerun to finish');
    expectExit({ code, output: rerun.output() }, 0);
    expect(Number(/died\. (\d+) job\(s\) still belong to it/.exec(rerun.output())?.[1])).toBeGreaterThanOrEqual(100);
    for (let k = 0; k < count; k++) expect(readFileSync(path.join(dir, `k=${k}`, 'piece.txt'), 'utf8')).toBe(String(k));
    const idsByTask = new Map<string, Set<string>>();
    for (const job of journaledJobs(dir)) idsByTask.set(job.taskId, (idsByTask.get(job.taskId) ?? new Set()).add(job.jobId));
    expect(idsByTask.size).toBe(count);
    expect([...idsByTask].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    if (system.jobsTagged) expect(system.jobsTagged(runTag(dir))).toHaveLength(count);
  }, 1_200_000);

  test('fails a job held for longer than held_grace with the reason, and removes it', () => {
    const dir = project({ 'pipeline.ts': averagePipeline() });
    const result = run(dir, ['MyNumberTask', '--some-parameter', '4', '--setting', system.held.setting, '--setting', 'held_grace=3']);
    expectExit(result, 1);
    expect(result.stdout).toContain(`the job was held by the batch system: ${system.held.reason} (held for `);
    expect(stillListed(journaledJobs(dir).map((job) => job.jobId))).toEqual([]);
  }, 180_000);

  test('b2 kill cancels the jobs of a run whose runner was killed', async () => {
    const { dir, runner, ids } = await startSleepingRun();
    runner.child.kill('SIGKILL');
    await withTimeout(runner.exited, 30_000, 'the runner to die');

    const orphaned = status(dir);
    expect(orphaned.runner.kind).toBe('dead');
    expect(orphaned.counts).toMatchObject({ submitted: 10, succeeded: 0 });
    expect(orphaned.tasks.map((task) => task.jobId).filter(Boolean).sort()).toEqual([...ids].sort());
    expect(stillListed(ids).sort()).toEqual([...ids].sort());

    const kill = runB2(['kill'], { cwd: dir });
    expectExit(kill, 0);
    expect(kill.stdout).toContain(`cancelling 10 ${system.name} job(s)`);
    await waitFor('the cancelled jobs to leave the queue', () => stillListed(ids).length === 0 || stillListed(ids).join(' '), 60_000);
    // Safe to repeat.
    expect(runB2(['kill'], { cwd: dir }).code).toBe(0);
  }, 180_000);
};
