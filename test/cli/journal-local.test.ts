/**
 * Runs that survive, on local workers: the journal, `b2 status` on live,
 * finished and dead runs, resuming, retries and the run lock.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { averagePipeline, B2_BIN, flakyPipeline, makeProject, runB2 } from '../helpers/b2.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Start `b2 run` in the background. */
const startRun = (dir: string, args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } => {
  const child = spawn(process.execPath, [B2_BIN, 'run', ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
};

const waitFor = async (what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

const statusJson = (dir: string, args: string[] = []) => {
  const result = runB2(['status', '--json', ...args], { cwd: dir });
  // 0 fine, 1 failed tasks, 3 runner died (first-steps.test.ts checks which is which).
  expect([0, 1, 3]).toContain(result.code);
  return JSON.parse(result.stdout) as {
    runId: string;
    runner: { kind: string; pid?: number };
    counts: Record<string, number>;
    tasks: Array<{ id: string; family: string; phase: string; attempt: number; params: Record<string, unknown> }>;
  };
};

/** Tasks that block until a file named go-<n> exists in the project folder, so tests control timing. */
const gatedPipeline = (): string =>
  averagePipeline({
    body: `
      const { existsSync } = await import('node:fs');
      while (!existsSync(new URL('./go-' + this.some_parameter, import.meta.url))) await new Promise((r) => setTimeout(r, 50));`,
  }).replace('run() {', 'async run() {');

/** Ten gated tasks under one that averages them; every run() first appends its name to the file `ran`. */
const countingGatedPipeline = (): string => `
  import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
  import { Task, param } from 'b2';
  const ran = (name) => appendFileSync(new URL('./ran', import.meta.url), name + '\\n');
  export class Gated extends Task.with({ n: param.int() }) {
    *output() { yield this.addToOutput('gated.txt'); }
    async run() {
      ran(String(this.n));
      while (!existsSync(new URL('./go-' + this.n, import.meta.url))) await new Promise((r) => setTimeout(r, 50));
      writeFileSync(this.getOutputFileName('gated.txt'), String(this.n));
    }
  }
  export class Average extends Task {
    *requires() { for (let n = 0; n < 10; n++) yield new Gated({ n }); }
    *output() { yield this.addToOutput('average.txt'); }
    run() { ran('average'); writeFileSync(this.getOutputFileName('average.txt'), '4.5'); }
  }
  export default new Average();`;

describe('journal and b2 status (local)', () => {
  it('shows a finished run with counts, families and failures, as text and JSON', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ failOn: 3 }) });
    expect(runB2(['run', 'pipeline.ts', '-w', '2'], { cwd: dir }).code).toBe(1);
    const text = runB2(['status'], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/runner:\s+finished at .* with exit code 1/);
    expect(text.stdout).toContain('9 succeeded');
    expect(text.stdout).toContain('failed: MyNumberTask(some_parameter=3)');
    expect(text.stdout).toContain('| about to fail');
    const json = statusJson(dir);
    expect(json.runner.kind).toBe('finished');
    expect(json.counts).toMatchObject({ succeeded: 9, failed: 1, 'not-run': 1 });
    expect(json.tasks.find((t) => t.phase === 'failed')).toMatchObject({ family: 'MyNumberTask', params: { some_parameter: 3 } });
    // The reason next to the free-text message, for programs.
    expect(json.tasks.find((t) => t.phase === 'failed')).toMatchObject({ reason: 'exit', message: 'some_parameter 3 is not allowed' });
    const list = runB2(['status', '--list'], { cwd: dir });
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    expect(list.stdout).toContain('finished');
  });

  it('shows a live run without disturbing it, then a dead one as such, and resumes it', async () => {
    const dir = makeProject({ 'pipeline.ts': gatedPipeline() });
    const run = startRun(dir, ['pipeline.ts', '-w', '2', '--no-progress']);
    await waitFor('two tasks running', () => {
      const runs = path.join(dir, '.b2', 'runs');
      return existsSync(runs) && readdirSync(runs).length > 0 && runB2(['status', '--json'], { cwd: dir }).stdout.includes('"phase": "running"');
    });
    const live = statusJson(dir);
    expect(live.runner.kind).toBe('alive');
    expect(live.counts.running).toBe(2);

    run.child.kill('SIGKILL');
    await run.exit;
    const dead = runB2(['status'], { cwd: dir });
    expect(dead.stdout).toMatch(/runner died: pid \d+ on .* is gone/);
    expect(dead.stdout).toContain('orphaned jobs');
    expect(statusJson(dir).runner.kind).toBe('dead');

    for (let n = 0; n < 10; n++) writeFileSync(path.join(dir, `go-${n}`), '');
    const again = runB2(['run', 'pipeline.ts', '-w', '2'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`resuming run ${live.runId}`);
    expect(again.stderr).toContain('interrupted and started again');
    expect(readFileSync(path.join(dir, 'average.txt'), 'utf8')).toBe('28.5');
    expect(statusJson(dir).runId).toBe(live.runId);
    expect(statusJson(dir).runner.kind).toBe('finished');
  });

  it('b2 kill stops a live local run', async () => {
    const dir = makeProject({ 'pipeline.ts': gatedPipeline() });
    const run = startRun(dir, ['pipeline.ts', '-w', '2', '--no-progress']);
    await waitFor('tasks running', () => runB2(['status', '--json'], { cwd: dir }).stdout.includes('"phase": "running"'));
    const kill = runB2(['kill'], { cwd: dir });
    expect(kill.code).toBe(0);
    expect(kill.stdout).toMatch(/stopping runner pid \d+/);
    expect(await run.exit).toBe(130);
    expect(statusJson(dir).runner.kind).toBe('finished');
    expect(runB2(['kill'], { cwd: dir }).code).toBe(0);
  });
});

describe('-p selects runs by pipeline file', () => {
  it('b2 kill -p b.ts stops the run of b.ts only, b2 status -p shows each file its own run', async () => {
    const other = gatedPipeline().replaceAll('MyNumberTask', 'OtherNumberTask').replaceAll('MyAverageTask', 'OtherAverageTask');
    const dir = makeProject({ 'a.ts': gatedPipeline(), 'b.ts': other, 'c.ts': other });
    const alive = (): number => runB2(['status', '--list'], { cwd: dir }).stdout.split('alive').length - 1;
    const b = startRun(dir, ['b.ts', '-w', '1', '--no-progress']);
    await waitFor('the run of b.ts', () => alive() === 1);
    // Started second, the run of a.ts is the latest in the folder.
    const a = startRun(dir, ['a.ts', '-w', '1', '--no-progress']);
    try {
      await waitFor('both runs', () => alive() === 2);
      expect(statusJson(dir, ['-p', 'a.ts']).tasks.every((t) => t.family.startsWith('My'))).toBe(true);
      expect(statusJson(dir, ['-p', path.join(dir, 'b.ts')]).tasks.every((t) => t.family.startsWith('Other'))).toBe(true);
      const kill = runB2(['kill', '-p', 'b.ts'], { cwd: dir });
      expect(kill.code).toBe(0);
      expect(await b.exit).toBe(130);
      expect(statusJson(dir, ['-p', 'a.ts']).runner.kind).toBe('alive');
      expect(statusJson(dir, ['-p', '.']).runner.kind).toBe('alive');
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exit, b.exit]);
    }
    for (const [file, message] of [
      ['missing.ts', /No pipeline file .*missing\.ts/],
      ['c.ts', /No run of .*c\.ts in /],
    ] as const) {
      for (const command of ['status', 'kill']) {
        const result = runB2([command, '-p', file], { cwd: dir });
        expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
      }
    }
  }, 120_000);
});

describe('retries', () => {
  const flaky = flakyPipeline;

  it('resubmits a task that fails twice, then succeeds', () => {
    const dir = makeProject({ 'pipeline.ts': flaky(2) });
    const result = runB2(['run', 'pipeline.ts', '--setting', 'retries=2'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('retrying MyNumberTask(some_parameter=5) (attempt 1 failed: flaky attempt 1)');
    expect(result.stderr).toContain('(attempt 2 failed: flaky attempt 2)');
    expect(statusJson(dir).tasks.find((t) => t.params.some_parameter === 5)).toMatchObject({ phase: 'succeeded', attempt: 3 });
  });

  it('says "failed after N attempts" when retries run out', () => {
    const dir = makeProject({ 'pipeline.ts': flaky(5) });
    const result = runB2(['run', 'pipeline.ts', '--setting', 'retries=1'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('failed after 2 attempts: MyNumberTask(some_parameter=5)');
    expect(statusJson(dir).tasks.find((t) => t.params.some_parameter === 5)).toMatchObject({ phase: 'failed', attempt: 2 });
  });
});

describe('run lock', () => {
  it('refuses a second run on the same tasks while one is live, names it, and --wait waits for it', async () => {
    const dir = makeProject({ 'pipeline.ts': gatedPipeline() });
    const first = startRun(dir, ['pipeline.ts', '-w', '2', '--no-progress']);
    await waitFor('first run registered', () => runB2(['status', '--json'], { cwd: dir }).stdout.includes('"phase": "running"'));
    const refused = runB2(['run', 'pipeline.ts'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Run \S+ \(pid \d+ on .*, started .*\) is working on 11 of the same tasks\./);
    expect(refused.stderr).toContain('--wait');
    expect(refused.stderr).toContain('b2 kill');

    const waiting = startRun(dir, ['pipeline.ts', '--wait', '--no-progress']);
    await waitFor('the second run to wait', () => waiting.output().includes('waiting:'));
    for (let n = 0; n < 10; n++) writeFileSync(path.join(dir, `go-${n}`), '');
    expect(await first.exit).toBe(0);
    expect(await waiting.exit).toBe(0);
    expect(waiting.output()).toContain('nothing to do');
    // Five CLI starts and two runs: on a loaded machine (the batch suites run beside this one) that takes a while.
  }, 180_000);

  it('takes over the lock of a runner that died on this host', async () => {
    const dir = makeProject({ 'pipeline.ts': gatedPipeline() });
    const first = startRun(dir, ['pipeline.ts', '-w', '2', '--no-progress']);
    await waitFor('first run registered', () => runB2(['status', '--json'], { cwd: dir }).stdout.includes('"phase": "running"'));
    first.child.kill('SIGKILL');
    await first.exit;
    for (let n = 0; n < 10; n++) writeFileSync(path.join(dir, `go-${n}`), '');
    const second = runB2(['run', 'pipeline.ts'], { cwd: dir });
    expect(second.code).toBe(0);
  }, 180_000);

  it('still holds after a runner died mid-write: the runner that takes over is seen, a third is refused, nothing runs twice', async () => {
    const dir = makeProject({ 'pipeline.ts': countingGatedPipeline() });
    const first = startRun(dir, ['pipeline.ts', '-w', '2', '--no-progress']);
    await waitFor('first run registered', () => runB2(['status', '--json'], { cwd: dir }).stdout.includes('"phase": "running"'));
    first.child.kill('SIGKILL');
    await first.exit;
    const runs = path.join(dir, '.b2', 'runs');
    const journal = path.join(runs, readdirSync(runs).find((name) => !name.startsWith('.'))!, 'journal.jsonl');
    // What a crash in the middle of a write leaves: a line without its end.
    appendFileSync(journal, '{"t":1,"type":"succeeded","id":"Gat');
    writeFileSync(path.join(dir, 'ran'), '');
    const second = startRun(dir, ['pipeline.ts', '-w', '2', '--no-progress']);
    try {
      await waitFor('the second runner to take over', () => second.output().includes('resuming'));
      await waitFor('the second runner to be seen alive', () => statusJson(dir).runner.kind === 'alive', 10_000);
      const third = runB2(['run', 'pipeline.ts'], { cwd: dir });
      expect(third.code).toBe(2);
      expect(third.stderr).toContain('is working on');
    } finally {
      for (let n = 0; n < 10; n++) writeFileSync(path.join(dir, `go-${n}`), '');
    }
    expect(await second.exit).toBe(0);
    const started = readFileSync(path.join(dir, 'ran'), 'utf8').trim().split('\n');
    expect(started.sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'average']);
    expect(statusJson(dir).runner.kind).toBe('finished');
  }, 180_000);
});
