/**
 * Arrays and packing end to end on a real Slurm or Grid Engine: tasks of one
 * family go out in one submit command (counted by a wrapper put in front of
 * sbatch or qsub with batch_commands), each task runs exactly once, a failed
 * element goes out again alone, packed tasks keep their own logs and exit
 * statuses, a runner killed during an array's submit command loses and
 * duplicates nothing, and `b2 status` / `b2 kill` work element by element.
 */
import { expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobStatus } from '../../src/systems/contract.js';
import { B2_BIN, runB2, type B2Result } from './b2.js';
import { GATE_SCRIPT, gateSetting, journaledJobs, waitFor } from './runs.js';
import { expectExit, realSuite } from './real-suite.js';

export interface RealArraySystem {
  readonly name: 'slurm' | 'sge';
  readonly describe: (name: string, body: () => void) => void;
  /** The submit command the wrapper counts. */
  readonly submit: 'sbatch' | 'qsub';
  /** The variable holding an element's index inside it. */
  readonly indexVariable: string;
  /** What an element id looks like: Slurm `12_5`, Grid Engine `12.5`. */
  readonly elementId: RegExp;
  /** What the submit command's argv holds for an array of one element. */
  readonly oneElement: string;
  /** Elements (and jobs) the system lists as queued or running, by id. */
  readonly activeJobs: () => Map<string, JobStatus>;
  readonly cancel: (ids: readonly string[]) => void;
}

/** Counts the submit commands (submits.log); with a `slow` file, holds the answer back after the real command succeeded (submitted.log). */
const COUNTING_SUBMIT = `#!/bin/bash
here=$(dirname "$0")
real=$1
shift
printf '%s\\n' "$*" >>"$here/submits.log"
if [ -e "$here/slow" ]; then
  out=$("$real" "$@")
  status=$?
  echo "$out" >>"$here/submitted.log"
  sleep 20
  printf '%s\\n' "$out"
  exit $status
fi
exec "$real" "$@"
`;

const pipeline = (count: number, indexVariable: string, options: { failOnce?: number; failAlways?: number; sleepMs?: number } = {}): string => `
  import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
  import { Task, WrapperTask, param } from 'b2';
  const here = (name) => new URL('./' + name, import.meta.url);
  export class Leaf extends Task.with({ k: param.int() }) {
    *output() { yield this.addToOutput('leaf.txt'); }
    run() {
      appendFileSync(here('runs.txt'), this.k + ' ' + (process.env.${indexVariable} ?? '-') + '\\n');
      console.log('leaf', this.k);
      ${options.sleepMs ? `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${options.sleepMs});` : ''}
      if (this.k === ${options.failAlways ?? -1}) throw new Error('leaf ' + this.k + ' always fails');
      if (this.k === ${options.failOnce ?? -1} && !existsSync(here('failed-once'))) {
        writeFileSync(here('failed-once'), '');
        throw new Error('leaf ' + this.k + ' fails once');
      }
      writeFileSync(this.getOutputFileName('leaf.txt'), String(this.k));
    }
  }
  export class All extends WrapperTask {
    *requires() { for (let k = 0; k < ${count}; k++) yield new Leaf({ k }); }
  }
  export default new All();`;

interface StatusJson {
  runner: { kind: string };
  counts: Record<string, number>;
  tasks: { id: string; family: string; params: Record<string, unknown>; phase: string; attempt: number; jobId?: string; jobIds?: string[] }[];
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

export const describeRealArrays = (system: RealArraySystem): void => {
  const { test, project: projectOf, track } = realSuite(system);

  const project = (count: number, options: Parameters<typeof pipeline>[2] = {}): string => {
    return projectOf({ 'pipeline.ts': pipeline(count, system.indexVariable, options), 'submit.sh': COUNTING_SUBMIT });
  };

  const args = (dir: string, extra: readonly string[]): string[] => [
    'run',
    'pipeline.ts',
    '--batch',
    '--batch-system',
    system.name,
    '--workers',
    '50',
    '--setting',
    'poll_interval=0.5',
    '--setting',
    `batch_commands=${JSON.stringify({ [system.submit]: ['bash', path.join(dir, 'submit.sh'), system.submit] })}`,
    ...extra,
  ];

  const run = (dir: string, extra: readonly string[] = []): B2Result => runB2(args(dir, extra), { cwd: dir, timeoutMs: 240_000 });

  const status = (dir: string): StatusJson => {
    const result = runB2(['status', '--json'], { cwd: dir });
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as StatusJson;
  };

  const leaves = (view: StatusJson): StatusJson['tasks'] => view.tasks.filter((task) => task.family === 'Leaf');

  /** Each task's runs (runs.txt): k -> the element indexes it ran in. */
  const runsByTask = (dir: string): Map<number, string[]> => {
    const runs = new Map<number, string[]>();
    for (const line of lines(path.join(dir, 'runs.txt'))) {
      const [k, index] = line.split(' ') as [string, string];
      runs.set(Number(k), [...(runs.get(Number(k)) ?? []), index]);
    }
    return runs;
  };

  test(`sends 50 tasks out in one ${system.submit}, runs each exactly once, and names their elements in b2 status --json`, () => {
    const dir = project(50);
    const result = run(dir);
    expectExit(result, 0);
    expect(lines(path.join(dir, 'submits.log'))).toHaveLength(1);
    const runs = runsByTask(dir);
    expect(runs.size).toBe(50);
    expect([...runs.values()].every((indexes) => indexes.length === 1)).toBe(true);
    expect(new Set([...runs.values()].flat())).toEqual(new Set(Array.from({ length: 50 }, (_, i) => String(i + 1))));
    const view = status(dir);
    const jobIds = leaves(view).map((task) => task.jobId ?? '');
    expect(jobIds.filter((id) => system.elementId.test(id))).toHaveLength(50);
    expect(new Set(jobIds).size).toBe(50);
    // Each task's log is its own.
    expect(readFileSync(path.join(dir, 'logs', 'k=7', 'Leaf', 'stdout'), 'utf8')).toMatch(/^leaf 7$/m);
  }, 300_000);

  test('sends a failed element out again alone (retries 1), and the other tasks never again', () => {
    const dir = project(10, { failOnce: 3 });
    const result = run(dir, ['--setting', 'retries=1']);
    expectExit(result, 0);
    const submits = lines(path.join(dir, 'submits.log'));
    expect(submits).toHaveLength(2);
    expect(submits[1]).toContain(system.oneElement);
    const runs = runsByTask(dir);
    expect(runs.get(3)).toHaveLength(2);
    for (const k of [0, 1, 2, 4, 5, 6, 7, 8, 9]) expect(runs.get(k)).toHaveLength(1);
    const retried = leaves(status(dir)).find((task) => task.params.k === 3);
    expect(retried).toMatchObject({ phase: 'succeeded', attempt: 2 });
    expect(new Set(retried?.jobIds).size).toBe(2);
  }, 300_000);

  test('packs 50 tasks into 10 jobs (tasks_per_job 5), each task with its own logs and exit status; a failing task fails alone', () => {
    const dir = project(50, { failAlways: 7 });
    const result = run(dir, ['--setting', 'tasks_per_job=5']);
    expectExit(result, 1);
    expect(lines(path.join(dir, 'submits.log'))).toHaveLength(1);
    const view = status(dir);
    const tasks = leaves(view);
    expect(new Set(tasks.map((task) => task.jobId)).size).toBe(10);
    expect(tasks.filter((task) => task.phase === 'succeeded')).toHaveLength(49);
    const failed = tasks.find((task) => task.phase === 'failed');
    expect(failed?.params.k).toBe(7);
    // Its job's other tasks ran and succeeded: the job's own exit status decided nothing.
    const mates = tasks.filter((task) => task.jobId === failed?.jobId && task.params.k !== 7);
    expect(mates).toHaveLength(4);
    expect(mates.every((task) => task.phase === 'succeeded')).toBe(true);
    for (let k = 0; k < 50; k++) {
      const logs = path.join(dir, 'logs', `k=${k}`, 'Leaf');
      expect(readFileSync(path.join(logs, 'stdout'), 'utf8')).toMatch(new RegExp(`^leaf ${k}$`, 'm'));
      expect(readFileSync(path.join(logs, 'exit_status'), 'utf8').trim()).toBe(k === 7 ? '1' : '0');
    }
    expect(readFileSync(path.join(dir, 'logs', 'k=7', 'Leaf', 'stderr'), 'utf8')).toContain('leaf 7 always fails');
    expect([...runsByTask(dir).values()].every((indexes) => indexes.length === 1)).toBe(true);
  }, 300_000);

  /** A runner in the background; its exit code and output once it ends. */
  const start = (dir: string, extra: readonly string[]): { child: ChildProcess; exited: Promise<{ code: number | null; output: string }> } => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('B2_')));
    const child = spawn(process.execPath, [B2_BIN, ...args(dir, extra)], { cwd: dir, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let output = '';
    child.stdout!.on('data', (data) => (output += data));
    child.stderr!.on('data', (data) => (output += data));
    return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve({ code, output }))) };
  };

  test(`a runner killed with kill -9 while ${system.submit} submits an array, then a rerun: every task ran exactly once`, async () => {
    const dir = project(30);
    writeFileSync(path.join(dir, 'gate.sh'), GATE_SCRIPT);
    writeFileSync(path.join(dir, 'slow'), '');
    const first = start(dir, gateSetting(dir));
    // The array exists; its submit command has not answered yet.
    await waitFor('the array to be submitted', () => lines(path.join(dir, 'submitted.log')).length > 0, 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    unlinkSync(path.join(dir, 'slow'));
    // The tasks wait at their gate until the rerun has found their elements.
    const rerun = start(dir, gateSetting(dir));
    await waitFor('the rerun to find the 30 elements', () => journaledJobs(dir).length >= 30 || journaledJobs(dir).length.toString(), 120_000);
    writeFileSync(path.join(dir, 'go'), '');
    const result = await rerun.exited;
    expectExit(result, 0);
    expect(result.output).toMatch(/found 30 (?:slurm|sge) job\(s\) whose submit command gave no answer/);
    expect(lines(path.join(dir, 'submits.log'))).toHaveLength(1);
    const runs = runsByTask(dir);
    expect(runs.size).toBe(30);
    expect([...runs].filter(([, indexes]) => indexes.length !== 1)).toEqual([]);
    const idsByTask = new Map<string, Set<string>>();
    for (const job of journaledJobs(dir)) idsByTask.set(job.taskId, (idsByTask.get(job.taskId) ?? new Set()).add(job.jobId));
    expect(idsByTask.size).toBe(30);
    expect([...idsByTask].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    expect([...idsByTask.values()].every((ids) => [...ids].every((id) => system.elementId.test(id)))).toBe(true);
  }, 300_000);

  test('b2 kill cancels a running array, element by element, named in b2 status --json', async () => {
    const dir = project(10, { sleepMs: 120_000 });
    const runner = start(dir, []).child;
    await waitFor(
      'ten elements submitted, some running',
      () => {
        const ids = journaledJobs(dir).map((job) => job.jobId);
        const active = system.activeJobs();
        return (ids.length === 10 && ids.some((id) => active.get(id)?.state === 'running')) || `${ids.length} submitted`;
      },
      120_000,
    );
    runner.kill('SIGKILL');
    const ids = journaledJobs(dir).map((job) => job.jobId);
    const view = status(dir);
    expect(view.runner.kind).toBe('dead');
    expect(leaves(view).map((task) => task.jobId ?? '').filter((id) => system.elementId.test(id)).sort()).toEqual([...ids].sort());
    const kill = runB2(['kill'], { cwd: dir });
    expectExit(kill, 0);
    await waitFor(
      'the elements to leave the queue',
      () => {
        const active = system.activeJobs();
        const left = ids.filter((id) => active.has(id) && active.get(id)!.state !== 'cancelled');
        return left.length === 0 || left.join(' ');
      },
      60_000,
    );
  }, 240_000);
};
