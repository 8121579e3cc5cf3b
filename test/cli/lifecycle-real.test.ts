/**
 * The edges of a run's life on a real Slurm and Grid Engine: Ctrl-C sent to
 * the runner's whole process group (as a terminal does) while submit commands
 * run, and a submit command that hangs past submit_timeout after the
 * scheduler took its job. Neither may leave a job nobody knows, nor give a
 * task two jobs. The submit commands are slowed by a `batch_commands` wrapper
 * around the real sbatch / qsub, which submits and then waits.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSqueueOutput } from '../../src/systems/slurm.js';
import { parseQstatXml } from '../../src/systems/sge.js';
import type { JobStatus } from '../../src/systems/contract.js';
import { describeIfSge, describeIfSlurm } from '../helpers/clusters.js';
import { B2_BIN, leavesPipeline, makeProject, runB2 } from '../helpers/b2.js';
import { GATE_SCRIPT, gateSetting, journaledJobs, runTag, waitFor } from '../helpers/runs.js';

interface System {
  readonly name: 'slurm' | 'sge';
  readonly describe: (name: string, body: () => void) => void;
  readonly submit: 'sbatch' | 'qsub';
  /** Every job the system lists with this run tag (finished ones too, while it lists them). */
  readonly tagged: (tag: string) => JobStatus[];
  readonly cancel: (ids: readonly string[]) => void;
}

const ctx = (tag: string) => ({ runTag: tag, jobIds: [], user: os.userInfo().username });

const output = (argv: string[]): { stdout: string; stderr: string; status: number } => {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  return { stdout: result.stdout ?? '', stderr: result.stderr ?? '', status: result.status ?? -1 };
};

const parsed = (result: ReturnType<typeof import('../../src/systems/slurm.js').parseSqueueOutput>): JobStatus[] => {
  if (!result.ok) throw new Error(result.error.message);
  return [...result.value.values()];
};

const SLURM: System = {
  name: 'slurm',
  describe: describeIfSlurm,
  submit: 'sbatch',
  tagged: (tag) => {
    const { stdout, stderr, status } = output(['squeue', '-h', '-t', 'all', '-o', '%i|%T|%r|%k', '-u', os.userInfo().username]);
    return parsed(parseSqueueOutput(stdout, stderr, status, ctx(tag)));
  },
  cancel: (ids) => void output(['scancel', ...ids]),
};

const SGE: System = {
  name: 'sge',
  describe: describeIfSge,
  submit: 'qsub',
  tagged: (tag) => {
    const { stdout, stderr, status } = output(['qstat', '-xml', '-u', os.userInfo().username]);
    return parsed(parseQstatXml(stdout, stderr, status, ctx(tag)));
  },
  cancel: (ids) => void output(['qdel', ...ids]),
};

const ACTIVE = new Set(['pending', 'running', 'held', 'unknown']);

/** Submits with the real command, then waits `seconds` before answering. */
const SLOW_SUBMIT = '#!/bin/bash\nreal=$1; seconds=$2; shift 2\n"$real" "$@"; status=$?\nsleep "$seconds"\nexit $status\n';

const which = (binary: string): string => output(['bash', '-c', `command -v ${binary}`]).stdout.trim();

for (const system of [SLURM, SGE]) {
  system.describe(`the edges of a run on a real ${system.name}`, () => {
    const dirs: string[] = [];
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const dir of dirs.splice(0)) {
        // Whatever the test left of its run, by tag: never the jobs of other suites.
        try {
          const left = system.tagged(runTag(dir)).filter((job) => ACTIVE.has(job.state)).map((job) => job.jobId);
          if (left.length > 0) system.cancel(left);
        } catch {
          // no run was started
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });

    const project = (count: number): string => {
      const dir = makeProject({ 'pipeline.ts': leavesPipeline(count, { family: 'Piece', param: 'k', file: 'piece.txt' }), 'gate.sh': GATE_SCRIPT, 'slow-submit.sh': SLOW_SUBMIT });
      dirs.push(dir);
      return dir;
    };

    const slowSubmit = (dir: string, seconds: number): string[] => [
      '--setting',
      `batch_commands=${JSON.stringify({ [system.submit]: ['bash', path.join(dir, 'slow-submit.sh'), which(system.submit), String(seconds)] })}`,
    ];

    it('Ctrl-C to the runner’s process group while submit commands run leaves no job of the run', async () => {
      const dir = project(8);
      // Its own process group, as a shell gives a foreground job: the signal goes to the runner and all it started in that group.
      const child = spawn(
        process.execPath,
        [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '50', '--no-progress', '--setting', 'poll_interval=0.5', ...gateSetting(dir), ...slowSubmit(dir, 4)],
        { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      );
      children.push(child);
      let said = '';
      child.stdout!.on('data', (data) => (said += data));
      child.stderr!.on('data', (data) => (said += data));
      const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
      // Jobs the scheduler took while their submit commands still wait to answer.
      await waitFor('jobs of the run in the queue', () => {
        try {
          return system.tagged(runTag(dir)).length >= 2 && journaledJobs(dir).length === 0;
        } catch {
          return false;
        }
      }, 60_000);
      process.kill(-child.pid!, 'SIGINT');
      expect({ code: await exit, said }).toMatchObject({ code: 130 });
      const tag = runTag(dir);
      await waitFor('no job of the run left', () => {
        const left = system.tagged(tag).filter((job) => ACTIVE.has(job.state) && !/^d/.test(job.native));
        return left.length === 0 || `left: ${JSON.stringify(left)}; b2 said: ${said}`;
      }, 60_000);
    }, 180_000);

    it('b2 kill on a dead runner: the jobs are cancelled and journaled so, a second kill cancels nothing, the next run submits them again', async () => {
      const dir = project(4);
      const child = spawn(
        process.execPath,
        [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '50', '--no-progress', '--setting', 'poll_interval=0.5', ...gateSetting(dir)],
        { cwd: dir, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } },
      );
      children.push(child);
      const exit = new Promise((resolve) => child.on('exit', resolve));
      await waitFor('four job ids journaled', () => journaledJobs(dir).length === 4, 90_000);
      child.kill('SIGKILL');
      await exit;

      const kill = runB2(['kill'], { cwd: dir });
      expect({ code: kill.code, stdout: kill.stdout }).toMatchObject({ code: 0, stdout: expect.stringContaining(`cancelling 4 ${system.name} job(s)`) });
      const view = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { runner: { kind: string }; counts: Record<string, number> };
      expect(view.runner.kind).toBe('finished');
      expect(view.counts).toMatchObject({ cancelled: 4, submitted: 0 });
      const again = runB2(['kill'], { cwd: dir });
      expect({ code: again.code, stdout: again.stdout }).toMatchObject({ code: 0, stdout: expect.stringContaining('no jobs left to cancel') });

      writeFileSync(path.join(dir, 'go'), '');
      const rerun = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '50', '--setting', 'poll_interval=0.5', ...gateSetting(dir)], { cwd: dir, timeoutMs: 150_000 });
      expect({ code: rerun.code, output: rerun.code === 0 ? '' : rerun.output }).toEqual({ code: 0, output: '' });
    }, 240_000);

    it('a submit command that hangs past submit_timeout after its job was taken: the job is found, none is submitted twice', async () => {
      const dir = project(3);
      const child = spawn(
        process.execPath,
        [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '50', '--no-progress', '--setting', 'poll_interval=0.5', '--setting', 'submit_timeout=3', ...gateSetting(dir), ...slowSubmit(dir, 60)],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      );
      children.push(child);
      let said = '';
      child.stdout!.on('data', (data) => (said += data));
      child.stderr!.on('data', (data) => (said += data));
      const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
      // The jobs wait at the gate (Grid Engine forgets finished jobs at once) until the runner has resolved every submission.
      await waitFor('a job id for each task', () => new Set(journaledJobs(dir).map((job) => job.taskId)).size === 3 || said, 90_000);
      writeFileSync(path.join(dir, 'go'), '');
      expect({ code: await exit, said }).toMatchObject({ code: 0 });
      const journaled = new Set(journaledJobs(dir).map((job) => job.jobId));
      expect(journaled.size).toBe(3);
      // Those still listed are each the one of its task.
      expect(system.tagged(runTag(dir)).filter((job) => !journaled.has(job.jobId))).toEqual([]);
    }, 180_000);
  });
}
