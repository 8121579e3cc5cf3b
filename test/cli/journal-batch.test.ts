/**
 * Runs that survive, with batch jobs (HTCondor simulator): `b2 status` on a
 * live run and on one whose runner was killed, and `b2 kill` cancelling its jobs.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFakeCluster, type FakeCluster } from '../fakes/lib/index.mjs';
import { B2_BIN, makeProject, runB2 } from '../helpers/b2.js';

const FAST = ['--setting', 'poll_interval=0.5', '--setting', 'lost_job_grace=20'];

/** N tasks whose jobs wait (in bash, cheaply) until the file `go` exists before running. */
const gatedProject = (count: number): string =>
  makeProject({
    'pipeline.ts': `
      import { writeFileSync } from 'node:fs';
      import { Task, WrapperTask, param } from 'b2';
      export class Piece extends Task.with({ k: param.int() }) {
        *output() { yield this.addToOutput('piece.txt'); }
        run() { writeFileSync(this.getOutputFileName('piece.txt'), String(this.k)); }
      }
      export class All extends WrapperTask {
        *requires() { for (let k = 0; k < ${count}; k++) yield new Piece({ k }); }
      }
      export default new All();`,
    'gate.sh': '#!/bin/bash\nwhile [ ! -e "$(dirname "$0")/go" ]; do sleep 1; done\nexec "$@"\n',
  });

const gateSetting = (dir: string): string[] => ['--setting', `executable_prefix=${JSON.stringify(['bash', path.join(dir, 'gate.sh')])}`];

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
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as {
    runId: string;
    runner: { kind: string };
    counts: Record<string, number>;
    tasks: Array<{ id: string; phase: string; jobId?: string; queue?: { state: string } }>;
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
    expect(fake.runningProcesses()).toEqual([]);
    // Safe to repeat.
    const again = runB2(['kill'], { cwd: dir, env: fake.env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no jobs left to cancel');
  }, 200_000);
});
