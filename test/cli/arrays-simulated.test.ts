/**
 * Arrays and packing on the HTCondor and LSF simulators (test/fakes): the
 * tasks of a family in one submit command (one cluster of procs, or one
 * `bsub -J "name[1-N]%K"`), each run exactly once with its own logs and exit
 * status, a failed element sent out again alone, packing, and `b2 status`
 * naming elements (`12.4`, `12[5]`).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeCluster } from '../fakes/lib/index.mjs';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { B2_BIN, makeProject, runB2 } from '../helpers/b2.js';
import { jobProcessesEnded, journaledJobs, waitFor } from '../helpers/runs.js';

const SYSTEMS = [
  { system: 'htcondor', submit: 'condor_submit', elementId: /^\d+\.\d+$/ },
  { system: 'lsf', submit: 'bsub', elementId: /^\d+\[\d+\]$/ },
] as const;

const cluster = useFakeClusters();

/** `count` leaves, each noting its run in runs.txt; `failOnce` fails on its first try, `failAlways` always. */
const pipeline = (count: number, options: { failOnce?: number; failAlways?: number; sleepMs?: number } = {}): string => `
  import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
  import { Task, WrapperTask, param } from 'b2';
  const here = (name) => new URL('./' + name, import.meta.url);
  export class Leaf extends Task.with({ k: param.int() }) {
    *output() { yield this.addToOutput('leaf.txt'); }
    run() {
      appendFileSync(here('runs.txt'), this.k + '\\n');
      console.log('leaf', this.k);
      ${options.sleepMs ? `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${options.sleepMs});` : ''}
      if (this.k === ${options.failAlways ?? -1}) throw new Error('leaf ' + this.k + ' always fails');
      if (this.k === ${options.failOnce ?? -1} && !existsSync(here('failed-once'))) {
        writeFileSync(here('failed-once'), '');
        throw new Error('leaf fails once');
      }
      writeFileSync(this.getOutputFileName('leaf.txt'), String(this.k));
    }
  }
  export class All extends WrapperTask {
    *requires() { for (let k = 0; k < ${count}; k++) yield new Leaf({ k }); }
  }
  export default new All();`;

interface StatusJson {
  tasks: { family: string; params: Record<string, unknown>; phase: string; attempt: number; jobId?: string; jobIds?: string[] }[];
}

const runsOf = (dir: string): Map<number, number> => {
  const runs = new Map<number, number>();
  for (const line of readFileSync(path.join(dir, 'runs.txt'), 'utf8').trim().split('\n')) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
  return runs;
};

describe.each(SYSTEMS)('arrays on the $system simulator', ({ system, submit, elementId }) => {
  const run = (dir: string, fake: FakeCluster, extra: string[] = []) =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '20', ...FAST, '--setting', 'array=true', ...extra], { cwd: dir, env: fake.env, timeoutMs: 180_000 });
  const leaves = (dir: string): StatusJson['tasks'] => (JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as StatusJson).tasks.filter((t) => t.family === 'Leaf');

  it(`sends 40 tasks out in one ${submit}, each run once with its own logs, named by element in b2 status`, () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': pipeline(40) });
    const result = run(dir, fake, ['--workers', '40']);
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(fake.calls().filter((c) => c.cmd === submit)).toHaveLength(1);
    const runs = runsOf(dir);
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    const ids = leaves(dir).map((task) => task.jobId ?? '');
    expect(ids.filter((id) => elementId.test(id))).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(readFileSync(path.join(dir, 'logs', 'k=9', 'Leaf', 'stdout'), 'utf8')).toMatch(/^leaf 9$/m);
  }, 200_000);

  it('stops before anything goes out when a system setting would make an array of its own, naming the fix', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': pipeline(3) });
    const setting = system === 'lsf' ? 'lsf_settings={"J": "x[1-3]"}' : 'htcondor_settings={"arguments": "x"}';
    const result = run(dir, fake, ['--setting', setting]);
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 2 });
    expect(result.stderr).toMatch(/must not set "(?:J|arguments)" while tasks go out as arrays/);
    expect(result.stderr).toContain('set array to false for these tasks');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(fake.calls().filter((c) => c.cmd === submit)).toEqual([]);
  });

  it('on Ctrl-C cancels each packed job once, and leaves nothing running', async () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': pipeline(12, { sleepMs: 60_000 }) });
    const args = ['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '20', ...FAST, '--setting', 'tasks_per_job=4', '--setting', 'tasks_in_parallel=4'];
    const child = spawn(process.execPath, [B2_BIN, ...args], { cwd: dir, env: { ...fake.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data) => (output += data));
    child.stderr.on('data', (data) => (output += data));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor('the three packed jobs to run', () => fake.jobs().filter((job) => job.state === 'running').length === 3 || output, 60_000);
    child.kill('SIGINT');
    expect({ code: await exit, output }).toMatchObject({ code: 130 });
    const killed = fake.calls().filter((call) => call.cmd === (system === 'lsf' ? 'bkill' : 'condor_rm')).flatMap((call) => call.argv.filter((arg) => !arg.startsWith('-')));
    expect(killed.length).toBeGreaterThan(0);
    expect(killed).toHaveLength(new Set(killed).size);
    expect(fake.jobs().filter((job) => job.state === 'running' || job.state === 'idle')).toEqual([]);
    await jobProcessesEnded(fake);
  }, 120_000);

  it('sends a failed element out again alone (retries 1)', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': pipeline(8, { failOnce: 5 }) });
    const result = run(dir, fake, ['--setting', 'retries=1']);
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(fake.calls().filter((c) => c.cmd === submit)).toHaveLength(2);
    const runs = runsOf(dir);
    expect(runs.get(5)).toBe(2);
    expect([...runs].filter(([k, n]) => k !== 5 && n !== 1)).toEqual([]);
    const retried = leaves(dir).find((task) => task.params.k === 5);
    expect(retried).toMatchObject({ phase: 'succeeded', attempt: 2 });
    expect(new Set(retried?.jobIds).size).toBe(2);
  }, 200_000);

  it('packs 30 tasks into 6 jobs (tasks_per_job 5, 2 at once), a failing task failing alone', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': pipeline(30, { failAlways: 12 }) });
    const result = run(dir, fake, ['--setting', 'tasks_per_job=5', '--setting', 'tasks_in_parallel=2']);
    expect(result.code).toBe(1);
    expect(fake.calls().filter((c) => c.cmd === submit)).toHaveLength(1);
    const tasks = leaves(dir);
    expect(new Set(tasks.map((task) => task.jobId)).size).toBe(6);
    expect(tasks.filter((task) => task.phase === 'succeeded')).toHaveLength(29);
    expect(tasks.find((task) => task.phase === 'failed')?.params.k).toBe(12);
    for (let k = 0; k < 30; k++) {
      expect(readFileSync(path.join(dir, 'logs', `k=${k}`, 'Leaf', 'exit_status'), 'utf8').trim()).toBe(k === 12 ? '1' : '0');
    }
    expect(new Set(journaledJobs(dir).map((job) => job.jobId)).size).toBe(6);
  }, 200_000);
});
