/**
 * `b2 run --batch` end to end against the HTCondor and LSF simulators in
 * test/fakes (executables first on PATH that really run the jobs).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeCluster } from '../fakes/lib/index.mjs';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { averagePipeline, B2_BIN, flakyPipeline, leavesPipeline, makeProject, probePipeline, runB2, STACK_LINE } from '../helpers/b2.js';
import { jobProcessesEnded, journalEntries, waitFor } from '../helpers/runs.js';

// exampleSubmits: submit commands for the example: HTCondor takes the ten leaves in one, LSF one per job.
const SYSTEMS = [
  { system: 'htcondor', submit: 'condor_submit', query: 'condor_q', exampleSubmits: 2 },
  { system: 'lsf', submit: 'bsub', query: 'bjobs', exampleSubmits: 11 },
] as const;

const cluster = useFakeClusters();

describe.each(SYSTEMS)('--batch on the $system simulator', ({ system, submit, query, exampleSubmits }) => {
  const run = (dir: string, fake: FakeCluster, extra: string[] = []) =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '200', ...FAST, ...extra], { cwd: dir, env: fake.env });

  it('runs the example, one job per task', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const result = run(dir, fake, ['--setting', 'array=false']);
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'average.txt'), 'utf8')).toBe('28.5');
    expect(fake.jobs()).toHaveLength(11);
    expect(fake.calls().filter((c) => c.cmd === submit)).toHaveLength(exampleSubmits);
    const log = path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask');
    expect(readFileSync(path.join(log, 'stdout'), 'utf8')).toContain('number 3');
    expect(readFileSync(path.join(log, 'exit_status'), 'utf8').trim()).toBe('0');
    expect(existsSync(path.join(dir, 'task_files', 'some_parameter=3', 'MyNumberTask', 'executable_wrapper.sh'))).toBe(true);
  });

  it('reports the failing task with its job id and logs while the others finish', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ failOn: 3 }) });
    const result = run(dir, fake);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('failed: MyNumberTask(some_parameter=3)');
    expect(result.stdout).toMatch(/job id:\s+\S+/);
    expect(result.stdout).toContain('the task exited with code 1');
    expect(result.stdout).toContain('| about to fail');
    expect(result.stdout).toMatch(/MyNumberTask\s+0\s+9\s+1\s+0/);
    expect(result.stdout).toMatch(/MyAverageTask\s+0\s+0\s+0\s+1/);
  });

  it('brings env_script, env, executable and working_dir into the job', () => {
    const fake = cluster();
    const dir = makeProject({
      'pipeline.ts': probePipeline({ fromScript: 'FROM_ENV_SCRIPT', fromEnv: 'FROM_ENV', nasty: 'NASTY', viaExecutable: 'VIA_EXECUTABLE' }),
      'setup.sh': 'export FROM_ENV_SCRIPT=sourced\n',
      'work/.keep': '',
      'node-wrapper.sh': `#!/bin/bash\nexport VIA_EXECUTABLE=yes\nexec "${process.execPath}" "$@"\n`,
    });
    chmodSync(path.join(dir, 'node-wrapper.sh'), 0o755);
    const nasty = `it's "quoted" $(echo no) \`echo no\` $HOME; a\\b\nnew line ✓`;
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({
        env_script: 'setup.sh',
        env: { FROM_ENV: 'plain', NASTY: nasty },
        executable: [path.join(dir, 'node-wrapper.sh'), B2_BIN],
        working_dir: 'work',
      }),
    );
    const result = run(dir, fake);
    expect(result.code).toBe(0);
    const probe = JSON.parse(readFileSync(path.join(dir, 'probe.json'), 'utf8'));
    expect(probe).toEqual({ cwd: path.join(dir, 'work'), fromScript: 'sourced', fromEnv: 'plain', nasty, viaExecutable: 'yes' });
  });

  it('passes nasty parameter values through to the task literally', () => {
    const fake = cluster();
    const nasty = `a 'b' "c" $(touch /tmp/b2-pwned) \`id\` ; & | > < \\ \n ✓`;
    const dir = makeProject({
      'pipeline.ts': `
        import { writeFileSync } from 'node:fs';
        import { Task, param } from 'b2';
        export class Echo extends Task.with({ text: param.string({ hashed: true }) }) {
          *output() { yield this.addToOutput('echo.txt'); }
          run() { writeFileSync(this.getOutputFileName('echo.txt'), this.text); }
        }
        export default new Echo({ text: ${JSON.stringify(nasty)} });`,
    });
    const result = run(dir, fake);
    expect(result.code).toBe(0);
    const out = runB2(['run', 'pipeline.ts', '--show-output'], { cwd: dir }).stdout.match(/✓ (\S+echo\.txt)/)![1]!;
    expect(readFileSync(out, 'utf8')).toBe(nasty);
  });

  it('resubmits a job that fails twice, then succeeds, as three jobs', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': flakyPipeline(2) });
    const result = run(dir, fake, ['--setting', 'retries=2']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('retrying MyNumberTask(some_parameter=5) (attempt 1 failed: the task exited with code 1)');
    const status = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { tasks: { params: Record<string, unknown>; phase: string; attempt: number; jobIds?: string[] }[] };
    const task = status.tasks.find((t) => t.params.some_parameter === 5);
    expect(task).toMatchObject({ phase: 'succeeded', attempt: 3 });
    expect(new Set(task?.jobIds).size).toBe(3);
  });

  it('retries a failing submission and reports one that keeps failing', () => {
    const fake = cluster();
    fake.setFaults({ submitError: { count: 2 } });
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const ok = run(dir, fake, ['MyNumberTask', '--some-parameter', '1']);
    expect({ code: ok.code, output: ok.code === 0 ? '' : ok.output }).toEqual({ code: 0, output: '' });
    fake.setFaults({ submitError: {} });
    const bad = run(dir, fake, ['MyNumberTask', '--some-parameter', '2']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`could not submit to ${system}`);
    expect(bad.stdout).toContain(`command: ${submit}`);
  });

  it('rides out failing and hanging status queries', () => {
    const fake = cluster();
    fake.setFaults({ queryError: { count: 3 }, queryHang: { count: 1, seconds: 15 } });
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const result = run(dir, fake);
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
    expect(result.stderr).toContain(`status query to ${system} failed`);
    expect(fake.calls().filter((c) => c.cmd === query).length).toBeGreaterThanOrEqual(1);
  });

  it('fails a job that vanished as lost, with that reason', () => {
    const fake = cluster();
    fake.setFaults({ vanish: { count: 1 } });
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ body: 'const until = Date.now() + 1500; while (Date.now() < until);' }) });
    const result = run(dir, fake, ['MyNumberTask', '--some-parameter', '5']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the job is lost: gone from the queue and its history');
  });

  it('resolves a submit that timed out after its job was created by the run tag and task id: one job per task, all tracked', () => {
    const fake = cluster();
    // The command prints the id 8 s after the job exists; b2 gives up on it after 3 s, time enough
    // for a simulated command to start even on a loaded machine and launch its job.
    fake.setFaults({ submitLatencyMs: 8000 });
    const dir = makeProject({ 'pipeline.ts': leavesPipeline(24, { family: 'Piece', param: 'k', file: 'piece.txt' }) });
    const result = run(dir, fake, ['--setting', 'submit_timeout=3']);
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
    // One job per task; each journaled, unless it had run and left the queue when b2 asked (its exit status settled the task).
    const jobs = fake.jobs();
    expect(jobs).toHaveLength(24);
    const journaled = new Set(journalEntries(dir).flatMap((e) => (e.type === 'submitted' ? [e.jobId] : [])));
    expect(jobs.filter((job) => !journaled.has(job.id) && job.state !== 'completed')).toEqual([]);
  }, 120_000);

  it('Ctrl-C to the runner’s process group while submit commands wait to answer leaves no job of the run', async () => {
    const fake = cluster();
    // Each submit command holds its answer 3 s after its job exists: the signal lands in that window.
    fake.setFaults({ submitLatencyMs: 3000 });
    const dir = makeProject({ 'pipeline.ts': leavesPipeline(6, { family: 'Piece', param: 'k', file: 'piece.txt' }) });
    // A process group of its own, as a shell gives a foreground job.
    const child = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '20', ...FAST], {
      cwd: dir,
      detached: true,
      env: { ...process.env, ...fake.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await fake.waitFor((jobs) => (jobs.length >= 2 ? true : undefined), { timeoutMs: 40_000 });
    expect(journalEntries(dir).filter((e) => e.type === 'submitted')).toEqual([]);
    process.kill(-child.pid!, 'SIGINT');
    expect({ code: await exit, output }).toMatchObject({ code: 130 });
    await fake.waitFor((jobs) => (jobs.every((j) => j.state !== 'running' && j.state !== 'idle') ? true : undefined), { timeoutMs: 30_000 });
    await jobProcessesEnded(fake);
  }, 120_000);

  /** The example with leaves that take a minute, run in the background until its ten jobs run. */
  const startLongRun = async (fake: FakeCluster) => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ body: 'const until = Date.now() + 60000; while (Date.now() < until);' }) });
    const child = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '20', ...FAST], {
      cwd: dir,
      env: { ...process.env, ...fake.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = { dir, child, output: '', exit: new Promise<number | null>((resolve) => child.on('exit', resolve)), running: [] as ReturnType<FakeCluster['jobs']> };
    child.stdout.on('data', (d) => (run.output += d));
    child.stderr.on('data', (d) => (run.output += d));
    run.running = await fake.waitFor((jobs) => (jobs.filter((j) => j.state === 'running').length === 10 ? jobs : undefined), { timeoutMs: 40_000 });
    return run;
  };

  it('stops every job on Ctrl-C and exits 130', async () => {
    const fake = cluster();
    const run = await startLongRun(fake);
    run.child.kill('SIGINT');
    const code = await run.exit;
    const output = run.output;
    expect({ code, output }).toMatchObject({ code: 130 });
    expect({ left: fake.jobs().filter((j) => j.state === 'running' || j.state === 'idle'), output }).toEqual({ left: [], output });
    await jobProcessesEnded(fake);
  }, 120_000);

  it('exits at once on a second Ctrl-C, naming the jobs left, which b2 kill then cancels', async () => {
    const fake = cluster();
    const run = await startLongRun(fake);
    // Every id known to the runner (LSF takes one bsub per job).
    await waitFor('the ten job ids in the journal', () => journalEntries(run.dir).filter((e) => e.type === 'submitted').length === 10, 30_000);
    // The first Ctrl-C's wait for the jobs to leave the queue is still under way at the second.
    fake.setFaults({ queryHang: { seconds: 30, commands: [query] } });
    run.child.kill('SIGINT');
    await sleep(300);
    run.child.kill('SIGINT');
    const code = await run.exit;
    const output = run.output;
    expect({ code, output }).toMatchObject({ code: 130 });
    expect(output).toMatch(new RegExp(`exiting at once: jobs of run \\S+ may still be queued or running:\\n  10 ${system} job\\(s\\): `));
    for (const job of run.running) expect(output).toContain(job.id);
    expect(output).toMatch(/b2 kill \S+ cancels them/);

    fake.setFaults({});
    expect(runB2(['kill'], { cwd: run.dir, env: fake.env }).code).toBe(0);
    await fake.waitFor((jobs) => (jobs.every((j) => j.state !== 'running' && j.state !== 'idle') ? true : undefined), { timeoutMs: 30_000 });
    await jobProcessesEnded(fake);
  }, 120_000);
});

describe('--batch on the LSF simulator: job files that cannot be written', () => {
  it('fail that task with the file and the cause; the others run, the journal is closed', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    // Writes to /dev/full fail with ENOSPC, as on a full disk.
    const wrapper = path.join(dir, 'task_files', 'some_parameter=3', 'MyNumberTask', 'executable_wrapper.sh');
    mkdirSync(path.dirname(wrapper), { recursive: true });
    symlinkSync('/dev/full', wrapper);
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', '--workers', '20', ...FAST], { cwd: dir, env: fake.env });
    expect(result.code).toBe(1);
    expect(result.output).not.toMatch(STACK_LINE);
    expect(result.stdout).toContain(`cannot write the job file ${wrapper}: no space left on device (ENOSPC)`);
    expect(result.stdout).toMatch(/MyNumberTask\s+0\s+9\s+1\s+0/);
    expect(fake.jobs()).toHaveLength(9);
    expect(journalEntries(dir).at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1 });
  });

  it('a file where a task\'s log folder should be fails that task naming the folder, not a file inside it', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const taken = path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask');
    mkdirSync(path.dirname(taken), { recursive: true });
    writeFileSync(taken, 'mine');
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', '--workers', '20', ...FAST], { cwd: dir, env: fake.env });
    expect(result.code).toBe(1);
    expect(result.output).not.toMatch(STACK_LINE);
    expect(result.stdout).toContain(`cannot write the log folder ${taken}: file already exists (EEXIST)`);
    expect(readFileSync(taken, 'utf8')).toBe('mine');
    expect(result.stdout).toMatch(/MyNumberTask\s+0\s+9\s+1\s+0/);
    expect(fake.jobs()).toHaveLength(9);
  });
});

describe('--batch on the simulators: held jobs', () => {
  // LSF: PSUSP is a job suspended while pending, USUSP one suspended while running (the simulator stops it).
  it.each([
    { system: 'htcondor', native: 'held', hold: { reason: 'Error from slot1@node7: disk quota exceeded', code: 13 }, why: 'Error from slot1@node7: disk quota exceeded' },
    { system: 'lsf', native: 'PSUSP', hold: {}, why: 'PSUSP, no reason given' },
    { system: 'lsf', native: 'USUSP', hold: { afterMs: 1500 }, why: 'USUSP, no reason given' },
  ])('fails a job held ($system $native) for longer than held_grace with the reason, and removes it', ({ system, hold, why }) => {
    const fake = cluster();
    fake.setFaults({ hold: { count: 1, ...hold } });
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ body: 'await new Promise((r) => setTimeout(r, 30_000));' }).replace('run() {', 'async run() {') });
    const args = ['run', 'pipeline.ts', 'MyNumberTask', '--some-parameter', '4', '--batch', '--batch-system', system, ...FAST, '--setting', 'held_grace=3'];
    const result = runB2(args, { cwd: dir, env: fake.env, timeoutMs: 25_000 });
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    expect(result.stdout).toContain(`the job was held by the batch system: ${why} (held for `);
    expect(fake.jobs().filter((j) => j.state === 'held')).toEqual([]);
    const entries = journalEntries(dir);
    const failedAt = entries.find((e) => e.type === 'failed')!.t;
    const submittedAt = entries.find((e) => e.type === 'submitted')!.t;
    expect(failedAt - submittedAt).toBeGreaterThanOrEqual(3000);
  }, 60_000);
});

describe('--batch on the HTCondor simulator: transfer_files', () => {
  const pipeline = `
    import { readFileSync, writeFileSync } from 'node:fs';
    import { Task } from 'b2';
    export class Reader extends Task {
      *output() { yield this.addToOutput('seen.json'); }
      run() {
        writeFileSync(this.getOutputFileName('seen.json'), JSON.stringify({ cwd: process.cwd(), input: readFileSync('input.txt', 'utf8') }));
      }
    }
    export default new Reader();`;
  const run = (dir: string, fake: FakeCluster) =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', ...FAST], { cwd: dir, env: fake.env });

  it('runs the job in its sandbox, where the transferred files are, when working_dir is "."', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': pipeline, 'data/input.txt': 'transferred' });
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ transfer_files: [path.join(dir, 'data', 'input.txt')], working_dir: '.' }));
    const result = run(dir, fake);
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    const seen = JSON.parse(readFileSync(path.join(dir, 'seen.json'), 'utf8')) as { cwd: string; input: string };
    expect(seen.input).toBe('transferred');
    // The simulator's sandbox of the job, as HTCondor's _CONDOR_SCRATCH_DIR.
    expect(path.relative(path.join(fake.dir, 'condor', 'scratch'), seen.cwd)).toMatch(/^\d+\.0$/);
  });

  it('refuses transfer_files with another working_dir before submitting anything, naming the fix', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': pipeline, 'data/input.txt': 'transferred' });
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ transfer_files: [path.join(dir, 'data', 'input.txt')] }));
    const result = run(dir, fake);
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 2 });
    expect(result.stderr).toContain(`error: Reader() cannot be submitted to htcondor: transfer_files is set, so working_dir must be "." (the job's sandbox), not ${JSON.stringify(dir)}.`);
    expect(result.stderr).toContain('hint:  Set working_dir to "." for this task');
    expect(result.stderr).not.toContain('    at ');
    expect(fake.calls().filter((c) => c.cmd === 'condor_submit')).toEqual([]);
    expect(existsSync(path.join(dir, 'seen.json'))).toBe(false);
    // The run is over, as bad input: no dead run is left for b2 status or a rerun.
    expect(runB2(['status'], { cwd: dir }).stdout).toContain('finished at');
  });
});

describe('--batch on the HTCondor simulator: how a job finds its task', () => {
  it('from its command line, or from a record file when its record is too long for one', () => {
    const fake = cluster();
    const long = 'x'.repeat(20_000);
    const dir = makeProject({
      'pipeline.ts': `
        import { writeFileSync } from 'node:fs';
        import { Task, WrapperTask, param } from 'b2';
        export class Echo extends Task.with({ text: param.string({ hashed: true }) }) {
          *output() { yield this.addToOutput('echo.txt'); }
          run() { writeFileSync(this.getOutputFileName('echo.txt'), String(this.text.length)); }
        }
        export class Both extends WrapperTask {
          *requires() { yield new Echo({ text: 'short' }); yield new Echo({ text: ${JSON.stringify(long)} }); }
        }
        export default new Both();`,
    });
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', ...FAST], { cwd: dir, env: fake.env });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    const outputs = runB2(['run', 'pipeline.ts', '--show-output'], { cwd: dir }).stdout.match(/✓ (\S+echo\.txt)/g)!.map((line) => line.slice(2));
    expect(outputs.map((file) => readFileSync(file, 'utf8')).sort()).toEqual(['20000', '5']);
    const status = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { runId: string; tasks: { id: string; family: string; params: { text: string } }[] };
    const runDir = path.join(dir, '.b2', 'runs', status.runId);
    const echoes = status.tasks.filter((task) => task.family === 'Echo');
    expect(echoes).toHaveLength(2);
    for (const task of echoes) {
      const wrapper = readFileSync(path.join(dir, 'task_files', `text=hashed_${md5(task.params.text)}`, 'Echo', 'executable_wrapper.sh'), 'utf8');
      const short = task.params.text === 'short';
      expect({ text: task.params.text.length, inline: wrapper.includes('--task-record'), file: existsSync(path.join(runDir, 'tasks', `${task.id}.json`)) }).toEqual({
        text: task.params.text.length,
        inline: short,
        file: !short,
      });
    }
  });

  it('b2 worker says what is wrong with a task record that is not JSON', () => {
    const result = runB2(['worker', '--task-id', 'Echo_1_abc', '--run-dir', '/nowhere', '--task-record', '{['], { cwd: makeProject({}) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: b2 worker: --task-record is not JSON: .+\. usage: b2 worker --task-id ID --run-dir DIR \[--task-record JSON\]\n$/);
  });
});

describe('--batch on the HTCondor simulator: settings no job could be submitted with', () => {
  it('stop the run before any job goes out, also when the family is not ready yet', () => {
    const fake = cluster();
    const dir = makeProject({
      'pipeline.ts': `
        import { writeFileSync } from 'node:fs';
        import { Task, param } from 'b2';
        export class Leaf extends Task.with({ i: param.int() }) {
          *output() { yield this.addToOutput('leaf.txt'); }
          run() { writeFileSync(this.getOutputFileName('leaf.txt'), 'leaf'); }
        }
        export class Top extends Task {
          htcondor_settings = { 'request memory': '2GB' };
          *requires() { for (let i = 0; i < 3; i++) yield new Leaf({ i }); }
          *output() { yield this.addToOutput('top.txt'); }
          run() { writeFileSync(this.getOutputFileName('top.txt'), 'top'); }
        }
        export default new Top();`,
    });
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', ...FAST], { cwd: dir, env: fake.env });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 2 });
    expect(result.stderr).toContain('error: Top() cannot be submitted to htcondor: htcondor_settings key "request memory" is not a submit command');
    expect(fake.calls().filter((c) => c.cmd === 'condor_submit')).toEqual([]);
    expect(existsSync(path.join(dir, 'i=0', 'leaf.txt'))).toBe(false);
  });
});

describe('--batch on the HTCondor simulator: several jobs per condor_submit', () => {
  // One job per task (arrays: arrays-simulated.test.ts).
  const run = (dir: string, fake: FakeCluster, extra: string[] = []) =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', '--workers', '200', ...FAST, '--setting', 'array=false', ...extra], { cwd: dir, env: fake.env });

  it('submits the jobs ready together in one description, one cluster each, and each job runs its own task', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    expect(run(dir, fake).code).toBe(0);
    const submits = fake.calls().filter((c) => c.cmd === 'condor_submit');
    // The ten leaves together; the average, ready later and alone, from its own job.submit.
    expect(submits.map((c) => c.argv[0])).toEqual(['-terse', 'job.submit']);
    const jobs = fake.jobs();
    expect(new Set(jobs.map((job) => job.id.split('.')[0])).size).toBe(11);
    expect(jobs.every((job) => job.id.endsWith('.0'))).toBe(true);
    // Each task's journaled job ran that task: its log holds its own number.
    const status = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { tasks: { family: string; params: Record<string, unknown>; jobIds?: string[] }[] };
    for (const task of status.tasks.filter((t) => t.family === 'MyNumberTask')) {
      const n = task.params.some_parameter;
      const job = jobs.find((j) => j.id === task.jobIds?.[0]);
      expect(readFileSync(path.join(job!.dir, 'job.json'), 'utf8')).toContain(`some_parameter=${String(n)}/MyNumberTask/stdout`);
      expect(readFileSync(path.join(dir, 'logs', `some_parameter=${String(n)}`, 'MyNumberTask', 'stdout'), 'utf8')).toContain(`number ${String(n)}`);
      // The task's own description is there too, to submit it by hand.
      expect(existsSync(path.join(dir, 'task_files', `some_parameter=${String(n)}`, 'MyNumberTask', 'job.submit'))).toBe(true);
    }
  });

  it('submits the jobs one by one when the command for all of them fails', () => {
    const fake = cluster();
    fake.setFaults({ submitError: { count: 1 } });
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const result = run(dir, fake);
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(result.stderr).toContain('a submit command for 10 htcondor jobs failed; submitting the other 10 one by one');
    expect(readFileSync(path.join(dir, 'average.txt'), 'utf8')).toBe('28.5');
    expect(fake.calls().filter((c) => c.cmd === 'condor_submit')).toHaveLength(1 + 10 + 1);
    expect(fake.jobs()).toHaveLength(11);
  });

  it('submits alone a task with its own initialdir', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    expect(run(dir, fake, ['--setting', `htcondor_settings={"initialdir": ${JSON.stringify(dir)}}`]).code).toBe(0);
    expect(fake.calls().filter((c) => c.cmd === 'condor_submit')).toHaveLength(11);
  });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

describe('--batch on the simulators: systems by their aliases and their own settings', () => {
  it('runs on HTCondor when it is named by its alias condor', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': leavesPipeline(2, { family: 'Piece', param: 'k', file: 'piece.txt' }) });
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'condor', ...FAST], { cwd: dir, env: fake.env });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(fake.calls().filter((c) => c.cmd === 'condor_submit').length).toBeGreaterThan(0);
  });

  it('gives LSF memory in the unit lsf_memory_unit names, as the site’s LSF_UNIT_FOR_LIMITS reads it', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': leavesPipeline(1, { family: 'Piece', param: 'k', file: 'piece.txt' }) });
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', '--setting', 'memory=2GB', '--setting', 'lsf_memory_unit=KB', ...FAST], {
      cwd: dir,
      env: fake.env,
    });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    const [bsub] = fake.calls().filter((c) => c.cmd === 'bsub');
    expect(bsub!.argv[bsub!.argv.indexOf('-M') + 1]).toBe(String(2048 * 1024));
  });
});
