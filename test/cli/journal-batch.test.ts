/**
 * Runs that survive, with batch jobs (HTCondor simulator): `b2 status` on a
 * live run and on one whose runner was killed, and `b2 kill` cancelling its jobs.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFakeCluster, type FakeCluster } from '../fakes/lib/index.mjs';
import { B2_BIN, leavesPipeline, makeProject, runB2 } from '../helpers/b2.js';
import { GATE_SCRIPT, gateSetting, jobProcessesEnded, journalEntries, journaledJobs, waitFor } from '../helpers/runs.js';

const FAST = ['--setting', 'poll_interval=0.5', '--setting', 'lost_job_grace=90'];

/** N tasks whose jobs wait (in bash, cheaply) until the file `go` exists before running. */
const gatedProject = (count: number): string =>
  makeProject({
    'pipeline.ts': leavesPipeline(count, { family: 'Piece', param: 'k', file: 'piece.txt' }),
    'gate.sh': GATE_SCRIPT,
  });

/** One job per task, several in one condor_submit: the grouped submission, not an array. */
const ONE_JOB_PER_TASK = ['--setting', 'array=false'];

let clusters: FakeCluster[] = [];
let children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const cluster of clusters) cluster.cleanup();
  clusters = [];
  children = [];
});

const startRunner = (dir: string, fake: FakeCluster, extra: string[] = []): { child: ChildProcess; exit: Promise<number | null> } => {
  const child = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', '--workers', '200', '--no-progress', ...FAST, ...gateSetting(dir), ...extra], {
    cwd: dir,
    env: { ...process.env, ...fake.env, NO_COLOR: '1' },
    stdio: 'ignore',
  });
  children.push(child);
  return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
};

const status = (dir: string, fake: FakeCluster, args: string[] = []) => {
  const result = runB2(['status', '--json', ...args], { cwd: dir, env: fake.env });
  // 0 fine, 1 failed tasks, 3 runner died (first-steps.test.ts checks which is which).
  expect([0, 1, 3]).toContain(result.code);
  return JSON.parse(result.stdout) as {
    runId: string;
    runner: { kind: string };
    counts: Record<string, number>;
    tasks: Array<{ id: string; phase: string; jobId?: string; jobIds: string[]; queue?: { state: string } }>;
  };
};


describe('b2 status and b2 kill on a batch run', () => {
  it('status shows a live run, then the dead one with its orphaned jobs; b2 kill cancels them all', async () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    const dir = gatedProject(15);
    const first = startRunner(dir, fake);
    await fake.waitFor((jobs) => jobs.filter((job) => job.state === 'running').length === 15, { timeoutMs: 90_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const live = status(dir, fake);
    expect(live.runner.kind).toBe('alive');
    expect(live.counts.submitted).toBe(15);
    expect(live.tasks.every((task) => task.jobId !== undefined)).toBe(true);

    first.child.kill('SIGKILL');
    await first.exit;
    const text = runB2(['status'], { cwd: dir, env: fake.env });
    expect(text.stdout).toContain('runner died');
    expect(text.stdout).toContain('orphaned jobs (their runner is gone):');
    const refreshed = status(dir, fake, ['--refresh']);
    expect(refreshed.runner.kind).toBe('dead');
    expect(refreshed.tasks.filter((task) => task.queue?.state === 'running')).toHaveLength(15);

    const kill = runB2(['kill'], { cwd: dir, env: fake.env });
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain('cancelling 15 htcondor job(s)');
    await fake.waitFor((jobs) => (jobs.every((job) => job.state !== 'running' && job.state !== 'idle') ? true : undefined), { timeoutMs: 30_000 });
    await jobProcessesEnded(fake);
    // Safe to repeat.
    const again = runB2(['kill'], { cwd: dir, env: fake.env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no jobs left to cancel');
  }, 200_000);

  it('b2 kill also cancels jobs whose ids only their submit command printed, after the runner died', async () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    // condor_submit prints the ids 3 s after the jobs exist; the runner is killed in between.
    fake.setFaults({ submitLatencyMs: 3000 });
    const dir = gatedProject(12);
    // Jobs in one condor_submit, each its own cluster (test/cli/arrays-*.test.ts cover a killed array submission).
    const first = startRunner(dir, fake, ONE_JOB_PER_TASK);
    await fake.waitFor((jobs) => (jobs.length === 12 ? true : undefined), { timeoutMs: 90_000 });
    first.child.kill('SIGKILL');
    await first.exit;
    expect(journalEntries(dir).filter((e) => e.type === 'submitted')).toEqual([]);
    // The orphaned condor_submit finishes and writes the ids where the journal said it would.
    const intent = journalEntries(dir).find((e) => e.type === 'submit-intent');
    const output = intent?.type === 'submit-intent' && intent.group ? intent.group.output : '';
    expect(output).toMatch(/^submit\/group-/);
    const runs = path.join(dir, '.b2', 'runs');
    const written = (): string => readFileSync(path.join(runs, readdirSync(runs)[0]!, output), 'utf8');
    await waitFor('the orphaned submit command to print the ids', () => written().split('\n').filter((line) => / - /.test(line)).length === 12, 30_000);

    const kill = runB2(['kill'], { cwd: dir, env: fake.env });
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain('cancelling 12 htcondor job(s)');
    await fake.waitFor((jobs) => (jobs.every((job) => job.state !== 'running' && job.state !== 'idle') ? true : undefined), { timeoutMs: 30_000 });
    await jobProcessesEnded(fake);
  }, 200_000);
});

describe('a rerun with nothing left to do', () => {
  /** A run of `count` gated jobs whose runner is killed while they run; then they finish. */
  const deadRunWhoseJobsFinished = async (count: number): Promise<{ dir: string; fake: FakeCluster }> => {
    const fake = createFakeCluster();
    clusters.push(fake);
    const dir = gatedProject(count);
    const first = startRunner(dir, fake);
    await fake.waitFor((jobs) => jobs.filter((job) => job.state === 'running').length === count, { timeoutMs: 90_000 });
    first.child.kill('SIGKILL');
    await first.exit;
    writeFileSync(path.join(dir, 'go'), '');
    await fake.waitFor((jobs) => (jobs.every((job) => job.state === 'completed') ? true : undefined), { timeoutMs: 60_000 });
    return { dir, fake };
  };

  it('closes the dead run whose jobs all finished while no runner watched', async () => {
    const { dir, fake } = await deadRunWhoseJobsFinished(5);
    expect(status(dir, fake).runner.kind).toBe('dead');

    const rerun = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', ...FAST, ...gateSetting(dir)], { cwd: dir, env: fake.env });
    expect({ code: rerun.code, output: rerun.output }).toMatchObject({ code: 0 });
    expect(rerun.stdout).toContain('nothing to do');
    expect(rerun.stderr).toMatch(/run \S+, whose runner died, is complete: its last jobs finished while no runner watched/);
    const closed = status(dir, fake);
    expect(closed.runner.kind).toBe('finished');
    expect(closed.counts.succeeded).toBe(5);
    expect(closed.tasks.filter((task) => task.phase !== 'succeeded')).toEqual([]);
    expect(fake.jobs()).toHaveLength(5);
    expect(runB2(['kill'], { cwd: dir, env: fake.env }).stdout).not.toContain('cancelling');
  }, 200_000);

  it('leaves alone a dead run that aimed at other tasks', async () => {
    const { dir, fake } = await deadRunWhoseJobsFinished(3);
    // One of its tasks, complete, asked for on its own.
    const rerun = runB2(['run', 'pipeline.ts', 'Piece', '--k', '0'], { cwd: dir, env: fake.env });
    expect({ code: rerun.code, output: rerun.output }).toMatchObject({ code: 0 });
    expect(rerun.stderr).not.toContain('is complete');
    expect(status(dir, fake).runner.kind).toBe('dead');
  }, 200_000);
});

/**
 * Run b2 again on the gated project, open the gate once the rerun has adopted
 * the dead run's jobs, and expect it to succeed; its output (what tells why a
 * rerun failed) is returned.
 */
const rerunAfterAdoption = async (dir: string, fake: FakeCluster, adoptWithinMs: number, extra: string[] = []): Promise<string> => {
  const rerun = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', '--workers', '200', '--no-progress', ...FAST, ...gateSetting(dir), ...extra], {
    cwd: dir,
    env: { ...process.env, ...fake.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(rerun);
  let output = '';
  rerun.stdout!.on('data', (data) => (output += data));
  rerun.stderr!.on('data', (data) => (output += data));
  const code = new Promise((resolve) => rerun.on('exit', resolve));
  await waitFor('the rerun to adopt the jobs', () => journalEntries(dir).some((e) => e.type === 'adopted'), adoptWithinMs);
  writeFileSync(path.join(dir, 'go'), '');
  expect({ code: await code, output: (await code) === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  return output;
};

/** After the rerun: one job per task over both runs, every result there, the jobs done. */
const expectEachTaskSubmittedOnce = (dir: string, fake: FakeCluster, count: number): void => {
  const jobs = fake.jobs();
  expect(jobs).toHaveLength(count);
  expect(jobs.filter((job) => job.state !== 'completed')).toEqual([]);
  for (let k = 0; k < count; k++) expect(readFileSync(path.join(dir, `k=${k}`, 'piece.txt'), 'utf8')).toBe(String(k));
  // As many submissions as tasks, and every task's result: no task was submitted twice.
  // The journal knows every job id, each for one task, including those of
  // submissions that answered after the runner died.
  const owners = new Map<string, Set<string>>();
  for (const { taskId, jobId } of journaledJobs(dir)) owners.set(jobId, (owners.get(jobId) ?? new Set()).add(taskId));
  expect(owners.size).toBe(count);
  expect([...owners.values()].filter((ids) => ids.size !== 1)).toEqual([]);
};

describe('a rerun after the runner was killed with kill -9', () => {
  it('watches the jobs in flight (at least 100) instead of submitting them again', async () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    const count = 120;
    const dir = gatedProject(count);
    const first = startRunner(dir, fake);
    // kill -9 with at least 100 jobs in the queue, and likely some submissions under way.
    await waitFor('100 jobs journaled', () => journalEntries(dir).filter((e) => e.type === 'submitted').length >= 100, 300_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const inFlight = journalEntries(dir).filter((e) => e.type === 'submitted').length;

    // The jobs go on only once the second runner has taken them over.
    const output = await rerunAfterAdoption(dir, fake, 120_000);
    const adopted = Number(/died\. (\d+) job\(s\) still belong to it/.exec(output)?.[1]);
    expect(adopted).toBeGreaterThanOrEqual(inFlight);
    expectEachTaskSubmittedOnce(dir, fake, count);
  }, 480_000);

  it('during a submit burst: ids printed after the runner died are found, none is submitted twice', async () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    // Each condor_submit answers 1.5 s after its jobs exist: kill -9 lands in that window,
    // and the command prints the ids of all 40 jobs (one description) after the runner died.
    fake.setFaults({ submitLatencyMs: 1500 });
    const count = 40;
    const dir = gatedProject(count);
    const first = startRunner(dir, fake, ONE_JOB_PER_TASK);
    const unanswered = (): number => {
      const entries = journalEntries(dir);
      const submitted = new Set(entries.flatMap((e) => (e.type === 'submitted' ? [e.id] : [])));
      return new Set(entries.flatMap((e) => (e.type === 'submit-intent' && !submitted.has(e.id) ? [e.id] : []))).size;
    };
    await waitFor('jobs in the queue whose ids are not journaled yet', () => unanswered() >= 4 && fake.jobs().length >= 4, 120_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const orphaned = unanswered();
    expect(orphaned).toBeGreaterThanOrEqual(4);
    // They were submitted together: the rerun finds each id by its place in that command's output.
    expect(journalEntries(dir).some((e) => e.type === 'submit-intent' && e.group !== undefined)).toBe(true);
    fake.setFaults({});

    // The jobs go on only once the rerun has taken them over (were they all done before, there would be nothing to do).
    await rerunAfterAdoption(dir, fake, 240_000, ONE_JOB_PER_TASK);
    expectEachTaskSubmittedOnce(dir, fake, count);
  }, 480_000);
});

describe('cancelled jobs after the runner died', () => {
  const runAgain = (dir: string, fake: FakeCluster) =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', '--workers', '200', ...FAST, ...gateSetting(dir)], { cwd: dir, env: fake.env });
  const rmCalls = (fake: FakeCluster): number => fake.calls().filter((call) => call.cmd === 'condor_rm').length;

  /** A gated run of `count` jobs, all running, whose runner is then killed with kill -9. */
  const deadRunWithJobsRunning = async (count: number): Promise<{ dir: string; fake: FakeCluster }> => {
    const fake = createFakeCluster();
    clusters.push(fake);
    const dir = gatedProject(count);
    const first = startRunner(dir, fake);
    await fake.waitFor((jobs) => jobs.filter((job) => job.state === 'running').length === count, { timeoutMs: 90_000 });
    await waitFor('every job id journaled', () => journaledJobs(dir).length === count, 30_000);
    first.child.kill('SIGKILL');
    await first.exit;
    return { dir, fake };
  };

  it('b2 kill records them: status shows them cancelled, a second kill cancels nothing, the next run submits them again', async () => {
    const { dir, fake } = await deadRunWithJobsRunning(6);
    const kill = runB2(['kill'], { cwd: dir, env: fake.env });
    expect({ code: kill.code, stdout: kill.stdout }).toMatchObject({ code: 0, stdout: expect.stringContaining('cancelling 6 htcondor job(s)') });
    await fake.waitFor((jobs) => (jobs.every((job) => job.state === 'removed') ? true : undefined), { timeoutMs: 30_000 });
    await jobProcessesEnded(fake);

    const after = status(dir, fake);
    expect(after.runner.kind).toBe('finished');
    expect(after.counts).toMatchObject({ cancelled: 6, submitted: 0, submitting: 0, running: 0 });
    const removals = rmCalls(fake);
    const again = runB2(['kill'], { cwd: dir, env: fake.env });
    expect({ code: again.code, stdout: again.stdout }).toMatchObject({ code: 0, stdout: expect.stringContaining('no jobs left to cancel') });
    expect(rmCalls(fake)).toBe(removals);

    writeFileSync(path.join(dir, 'go'), '');
    const rerun = runAgain(dir, fake);
    expect({ code: rerun.code, output: rerun.code === 0 ? '' : rerun.output }).toEqual({ code: 0, output: '' });
    for (let k = 0; k < 6; k++) expect(readFileSync(path.join(dir, `k=${k}`, 'piece.txt'), 'utf8')).toBe(String(k));
  }, 200_000);

  it('a job removed by hand (condor_rm) while no runner watched is submitted again by the next run', async () => {
    const { dir, fake } = await deadRunWithJobsRunning(3);
    const removed = journaledJobs(dir)[0]!;
    const rm = spawnSync(path.join(fake.binDir, 'condor_rm'), [removed.jobId], { env: { ...process.env, ...fake.env }, encoding: 'utf8' });
    expect(rm.status).toBe(0);
    await fake.waitFor((jobs) => (jobs.find((job) => job.id === removed.jobId)?.state === 'removed' ? true : undefined), { timeoutMs: 30_000 });

    writeFileSync(path.join(dir, 'go'), '');
    const rerun = runAgain(dir, fake);
    expect({ code: rerun.code, output: rerun.code === 0 ? '' : rerun.output }).toEqual({ code: 0, output: '' });
    expect(rerun.stderr).toContain(`htcondor job ${removed.jobId} of Piece(k=`);
    const task = status(dir, fake).tasks.find((t) => t.id === removed.taskId);
    expect(task?.phase).toBe('succeeded');
    // The removed job and its replacement (the adopted one is journaled again by the rerun).
    expect(new Set(task?.jobIds).size).toBe(2);
    for (let k = 0; k < 3; k++) expect(readFileSync(path.join(dir, `k=${k}`, 'piece.txt'), 'utf8')).toBe(String(k));
  }, 200_000);
});

describe('the runner and b2 status after b2 kill', () => {
  it('count the same: cancelled jobs apart from tasks that never started', async () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    const dir = gatedProject(6);
    const child = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', '--workers', '200', '--no-progress', ...FAST, ...gateSetting(dir)], {
      cwd: dir,
      env: { ...process.env, ...fake.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    let stdout = '';
    child.stdout!.on('data', (data) => (stdout += data));
    const exit = new Promise((resolve) => child.on('exit', resolve));
    await fake.waitFor((jobs) => jobs.filter((job) => job.state === 'running').length === 6, { timeoutMs: 90_000 });
    await waitFor('every job id journaled', () => journaledJobs(dir).length === 6, 30_000);
    expect(runB2(['kill'], { cwd: dir, env: fake.env }).code).toBe(0);
    expect(await exit).toBe(130);

    // Six leaves cancelled in flight; their wrapper task never started.
    expect(stdout).toContain('✗ 0 failed, 6 cancelled, 1 not run, 0 ran, 0 complete before.');
    const after = status(dir, fake);
    expect(after.counts).toMatchObject({ cancelled: 6, 'not-run': 1, pending: 0, submitted: 0 });
    const text = runB2(['status'], { cwd: dir, env: fake.env }).stdout;
    expect(text).toContain('0 in flight, 0 pending, 0 failed, 0 retrying, 1 not run, 6 cancelled');
  }, 200_000);
});

describe('a takeover by a run of other tasks', () => {
  it('leaves no task of the dead run in flight: the jobs it cannot watch are cancelled and journaled so', async () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    const dir = gatedProject(4);
    const first = startRunner(dir, fake);
    await fake.waitFor((jobs) => jobs.filter((job) => job.state === 'running').length === 4, { timeoutMs: 90_000 });
    await waitFor('every job id journaled', () => journaledJobs(dir).length === 4, 30_000);
    first.child.kill('SIGKILL');
    await first.exit;

    // One of its tasks, on its own: the rerun takes over the dead run and watches that task's job.
    const rerun = startRunner(dir, fake, ['Piece', '--k', '0']);
    await waitFor('the rerun to take over', () => journalEntries(dir).some((e) => e.type === 'adopted'), 60_000);
    writeFileSync(path.join(dir, 'go'), '');
    expect(await rerun.exit).toBe(0);
    const after = status(dir, fake);
    expect(after.runner.kind).toBe('finished');
    expect(after.tasks.filter((task) => ['running', 'submitting', 'submitted'].includes(task.phase))).toEqual([]);
    await fake.waitFor((jobs) => (jobs.every((job) => job.state === 'completed' || job.state === 'removed') ? true : undefined), { timeoutMs: 30_000 });
    await jobProcessesEnded(fake);
  }, 200_000);
});

describe('a rerun after a runner died with submissions unanswered', () => {
  it('asks the system for their jobs before submitting them again: one job per task', async () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    // The submit commands answer 20 s after their jobs exist; the runner dies in between.
    fake.setFaults({ submitLatencyMs: 20_000 });
    const count = 6;
    const dir = gatedProject(count);
    const first = startRunner(dir, fake);
    await fake.waitFor((jobs) => (jobs.length === count ? true : undefined), { timeoutMs: 90_000 });
    first.child.kill('SIGKILL');
    await first.exit;
    expect(journaledJobs(dir)).toEqual([]);
    fake.setFaults({});

    // The rerun gives up waiting for those commands after 1 s: their outcome is unknown to it.
    const rerun = startRunner(dir, fake, ['--setting', 'submit_timeout=1']);
    await waitFor('the rerun to take over', () => journalEntries(dir).some((e) => e.type === 'adopted'), 60_000);
    writeFileSync(path.join(dir, 'go'), '');
    expect(await rerun.exit).toBe(0);
    expectEachTaskSubmittedOnce(dir, fake, count);
  }, 200_000);
});
