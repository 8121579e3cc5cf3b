/**
 * Starting a run: what to run is decided under the state folder's lock (two
 * racing runs never both run a task), and old finished runs are pruned.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listRunIds, newRunId, runDirAt } from '../../src/journal/run-dir.js';
import { B2_BIN, makeProject, runB2 } from '../helpers/b2.js';

/** Leaf(k) writes k=<k>/leaf.txt and notes each run of itself in ran.log. */
const PIPELINE = `
  import { appendFileSync, writeFileSync } from 'node:fs';
  import { Task, WrapperTask, param } from 'b2';
  export class Leaf extends Task.with({ k: param.int() }) {
    *output() { yield this.addToOutput('leaf.txt'); }
    async run() {
      appendFileSync(new URL('./ran.log', import.meta.url), this.k + '\\n');
      await new Promise((resolve) => setTimeout(resolve, 200));
      writeFileSync(this.getOutputFileName('leaf.txt'), String(this.k));
    }
  }
  export class All extends WrapperTask {
    *requires() { for (let k = 0; k < 4; k++) yield new Leaf({ k }); }
  }
  export default new All();`;

interface Started {
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
}

const startB2 = (args: string[], cwd: string): Started => {
  const child = spawn(process.execPath, [B2_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  return { stderr: () => stderr, exit: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
};

const ranTasks = (dir: string): string[] =>
  existsSync(path.join(dir, 'ran.log')) ? readFileSync(path.join(dir, 'ran.log'), 'utf8').trim().split('\n').sort() : [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('run start', () => {
  it('decides what is complete under the lock: tasks finished by another run while it waited are not run again', async () => {
    const dir = makeProject({ 'p.ts': PIPELINE });
    runB2(['run', 'p.ts', 'Leaf', '--k', '9'], { cwd: dir }); // the pipeline's bundle, built once
    rmSync(path.join(dir, 'ran.log'));
    // Another run is starting: it holds the state folder's lock.
    const lock = path.join(dir, '.b2', 'runs', '.lock');
    writeFileSync(lock, `${process.pid} ${os.hostname()}\n`);
    const second = startB2(['run', 'p.ts'], dir);
    for (const deadline = Date.now() + 8000; Date.now() < deadline && !second.stderr().includes('the state folder lock'); ) await sleep(100);
    // Meanwhile the other run did two of the tasks and finished.
    for (const k of [0, 1]) {
      mkdirSync(path.join(dir, `k=${k}`));
      writeFileSync(path.join(dir, `k=${k}`, 'leaf.txt'), String(k));
    }
    appendFileSync(path.join(dir, 'ran.log'), '0\n1\n');
    rmSync(lock);
    expect(await second.exit).toBe(0);
    expect(ranTasks(dir)).toEqual(['0', '1', '2', '3']);
    expect(second.stderr()).toContain(`waiting: the state folder lock ${lock} is held by pid ${process.pid} on ${os.hostname()}: another b2 is starting a run`);
  });

  it('two runs started at the same moment run each task once', async () => {
    const dir = makeProject({ 'p.ts': PIPELINE });
    runB2(['run', 'p.ts', 'Leaf', '--k', '9'], { cwd: dir });
    rmSync(path.join(dir, 'ran.log'));
    const runs = [startB2(['run', 'p.ts', '--workers', '4'], dir), startB2(['run', 'p.ts', '--workers', '4'], dir)];
    const codes = await Promise.all(runs.map((run) => run.exit));
    expect(ranTasks(dir)).toEqual(['0', '1', '2', '3']);
    // One ran them; the other found them complete, or refused while the first was live.
    expect(codes.sort()).toEqual(codes.includes(2) ? [0, 2] : [0, 0]);
  });

  it('keeps the newest keep_runs finished runs and every unfinished one', () => {
    const dir = makeProject({ 'p.ts': PIPELINE, 'settings.json': JSON.stringify({ keep_runs: 2 }) });
    const stateDir = path.join(dir, '.b2', 'runs');
    // An old run whose runner died: never pruned, a rerun or b2 kill still needs it.
    const dead = runDirAt(stateDir, newRunId(new Date('2026-01-01T00:00:00Z')));
    mkdirSync(dead.tasks, { recursive: true });
    writeFileSync(dead.journal, `${JSON.stringify({ t: 1, type: 'run-started', runId: dead.runId, pid: 999_999_999, host: os.hostname(), pipeline: path.join(dir, 'other.ts'), roots: [], mode: 'local', tag: 'b2_dead', total: 1, toRun: 1 })}\n`);
    const finished: string[] = [];
    for (const k of [0, 1, 2, 3]) {
      expect(runB2(['run', 'p.ts', 'Leaf', '--k', String(k)], { cwd: dir }).code).toBe(0);
      finished.push(listRunIds(stateDir).at(-1)!);
    }
    // Pruned when a run starts: the run that just started counts once it has finished.
    expect(listRunIds(stateDir)).toEqual([dead.runId, ...finished.slice(1)]);
    expect(runB2(['run', 'p.ts', 'Leaf', '--k', '4'], { cwd: dir }).code).toBe(0);
    expect(listRunIds(stateDir)).toEqual([dead.runId, ...finished.slice(2), listRunIds(stateDir).at(-1)]);
  });
});
