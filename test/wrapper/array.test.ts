/**
 * The array script, run by bash as an element of an array would run it:
 * each index runs exactly its tasks' wrappers, each with its own logs, one
 * after the other or tasks_in_parallel at once; a failing task does not
 * stop the next. Paths made of the hostile-values corpus reach bash as data:
 * the canary never appears.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderArrayScript, type ArrayTask } from '../../src/wrapper/array.js';
import { asPathSegments, withCanary } from '../helpers/hostile-values.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'b2-array-script-'));
const canary = path.join(root, 'canary');
afterAll(() => {
  expect(existsSync(canary)).toBe(false);
  rmSync(root, { recursive: true, force: true });
});

/** A task whose wrapper prints the path it was started by to stdout and stderr, then exits with `status`, in a folder named `name`. */
const makeTask = (base: string, name: string, status = 0, body = ''): ArrayTask => {
  const dir = path.join(base, name);
  mkdirSync(dir, { recursive: true });
  const wrapperPath = path.join(dir, 'wrapper.sh');
  writeFileSync(wrapperPath, `#!/bin/bash\n${body}\nprintf 'out %s\\n' "$0"\nprintf 'err %s\\n' "$0" >&2\nexit ${status}\n`, { mode: 0o755 });
  return { wrapperPath, stdoutPath: path.join(dir, 'stdout'), stderrPath: path.join(dir, 'stderr') };
};

const runElement = (script: string, index: number | undefined): { status: number | null; stderr: string } => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  if (index !== undefined) env.SLURM_ARRAY_TASK_ID = String(index);
  const result = spawnSync('bash', [script], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
};

const writeScript = (dir: string, elements: ArrayTask[][], tasksInParallel = 1, appendLogs = false): string => {
  const script = path.join(dir, 'array.sh');
  writeFileSync(script, renderArrayScript({ index: '"${SLURM_ARRAY_TASK_ID:-}"', elements, tasksInParallel, appendLogs, command: ['sbatch', '--array=1-2', script] }), { mode: 0o755 });
  return script;
};

describe('the array script', () => {
  it('runs, for each index, exactly the tasks of that element, each with its own logs, for paths of hostile values', () => {
    const base = path.join(root, 'hostile');
    const names = [...new Set(asPathSegments(withCanary(canary, 400)))].slice(0, 120);
    const tasks = names.map((name) => makeTask(base, name));
    // Three tasks per element.
    const elements: ArrayTask[][] = [];
    for (let i = 0; i < tasks.length; i += 3) elements.push(tasks.slice(i, i + 3));
    const script = writeScript(base, elements);
    elements.forEach((element, i) => {
      const result = runElement(script, i + 1);
      expect(result).toEqual({ status: 0, stderr: '' });
      for (const task of element) {
        expect(readFileSync(task.stdoutPath, 'utf8')).toBe(`out ${task.wrapperPath}\n`);
        expect(readFileSync(task.stderrPath, 'utf8')).toBe(`err ${task.wrapperPath}\n`);
      }
      // Nothing of the next element ran.
      const next = elements[i + 1]?.[0];
      if (next) expect(existsSync(next.stdoutPath)).toBe(false);
    });
  });

  it('runs the next task after a failing one, and exits non-zero', () => {
    const base = path.join(root, 'failing');
    const tasks = [makeTask(base, 'a', 3), makeTask(base, 'b', 0)];
    const script = writeScript(base, [tasks]);
    expect(runElement(script, 1).status).toBe(1);
    expect(readFileSync(tasks[1]!.stdoutPath, 'utf8')).toBe(`out ${tasks[1]!.wrapperPath}\n`);
  });

  it('an index it has no element for is an error, and runs nothing', () => {
    const base = path.join(root, 'no-element');
    const task = makeTask(base, 'a');
    const script = writeScript(base, [[task]]);
    for (const index of [2, undefined]) {
      const result = runElement(script, index);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/this array has no element/);
    }
    expect(existsSync(task.stdoutPath)).toBe(false);
  });

  it('runs tasks_in_parallel of its tasks at once, and no more', () => {
    const base = path.join(root, 'parallel');
    const trace = path.join(base, 'trace');
    mkdirSync(base, { recursive: true });
    // Each task notes its start, waits, then notes its end.
    const body = `echo "start" >>'${trace}'; sleep 0.4; echo "end" >>'${trace}'`;
    const tasks = ['a', 'b', 'c', 'd'].map((name) => makeTask(base, name, 0, body));
    const script = writeScript(base, [tasks], 2);
    expect(runElement(script, 1).status).toBe(0);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    let running = 0;
    let most = 0;
    for (const line of lines) {
      running += line === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(lines).toHaveLength(8);
    expect(most).toBe(2);
    for (const task of tasks) expect(readFileSync(task.stdoutPath, 'utf8')).toBe(`out ${task.wrapperPath}\n`);
  });

  it('appends to the logs where the system does (Grid Engine)', () => {
    const base = path.join(root, 'append');
    const task = makeTask(base, 'a');
    const script = writeScript(base, [[task]], 1, true);
    runElement(script, 1);
    runElement(script, 1);
    expect(readFileSync(task.stdoutPath, 'utf8')).toBe(`out ${task.wrapperPath}\n`.repeat(2));
  });

  it('keeps a line break in the command comment from ending the comment', () => {
    const text = renderArrayScript({ index: '"$1"', elements: [[{ wrapperPath: '/w', stdoutPath: '/o', stderrPath: '/e' }]], tasksInParallel: 1, appendLogs: false, command: ['sbatch', `a\ntouch ${canary}`] });
    expect(text).not.toMatch(/^touch /m);
  });
});
