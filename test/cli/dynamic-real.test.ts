/**
 * Dynamic dependencies on the real Slurm and Grid Engine of this machine:
 * sbatch/qsub run the requester's job, which ends with the "needs
 * dependencies" status; the runner submits what it asked for, then the
 * requester again. And a runner killed while the requester waits is taken
 * over without running anything twice.
 */
import { afterEach, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeIfSge, describeIfSlurm } from '../helpers/clusters.js';
import { client } from '../helpers/real-batch.js';
import { B2_BIN, makeProject, runB2 } from '../helpers/b2.js';
import { journalEntries, journaledJobs, waitFor } from '../helpers/runs.js';
import { countedPipeline, examplePipeline, runCounts } from '../helpers/dynamic.js';

const SYSTEMS = [
  { name: 'slurm', describe: describeIfSlurm, cancel: (ids: readonly string[]) => void client(['scancel', ...ids], { allowFailure: true }) },
  { name: 'sge', describe: describeIfSge, cancel: (ids: readonly string[]) => void client(['qdel', ...ids], { allowFailure: true }) },
] as const;

// As runB2 does: no b2 settings inherited from the caller's environment.
const cleanEnv = (): NodeJS.ProcessEnv => ({ ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('B2_'))), NO_COLOR: '1' });

for (const system of SYSTEMS) {
  system.describe(`dynamic dependencies on a real ${system.name}`, () => {
    const projects: string[] = [];
    const children: ChildProcess[] = [];
    let passed = false;
    afterEach(async () => {
      for (const child of children.splice(0)) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await new Promise((resolve) => child.once('exit', resolve));
        }
      }
      for (const dir of projects.splice(0)) {
        // Whatever the runs left queued is cancelled by id: other suites' jobs are never touched.
        const ids = journaledJobs(dir).map((job) => job.jobId);
        if (ids.length > 0) system.cancel(ids);
        if (passed) rmSync(dir, { recursive: true, force: true });
        else process.stderr.write(`kept the folder of the failed test: ${dir}\n`);
      }
      passed = false;
    });
    const project = (files: Record<string, string>): string => {
      const dir = makeProject(files);
      projects.push(dir);
      return dir;
    };
    const command = (extra: readonly string[] = []): string[] => ['run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '20', '--no-progress', '--setting', 'poll_interval=0.5', ...extra];

    it('runs the example: the requester ends, its files are processed, it is resubmitted and finishes', () => {
      const dir = project({ 'pipeline.ts': examplePipeline() });
      const result = runB2(command(['MergeFiles', '--files', '3', '--setting', 'retries=0']), { cwd: dir, timeoutMs: 240_000 });
      expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
      expect(readFileSync(path.join(dir, 'results', 'files=3', 'merged.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
      const merge = journalEntries(dir).filter((entry) => 'id' in entry && entry.id.startsWith('MergeFiles_'));
      expect(merge.filter((entry) => entry.type === 'submitted')).toHaveLength(2);
      expect(merge.filter((entry) => entry.type === 'requested')).toEqual([expect.objectContaining({ restart: true, added: 3 })]);
      expect(merge.at(-1)).toMatchObject({ type: 'succeeded', attempt: 2 });
      passed = true;
    }, 300_000);

    it('a runner killed while the requester waits is taken over: dependencies, then the requester, each once', async () => {
      const dir = project({ 'pipeline.ts': countedPipeline({ gated: true }) });
      const first = spawn(process.execPath, [B2_BIN, ...command()], { cwd: dir, env: cleanEnv(), stdio: 'ignore' });
      children.push(first);
      const firstExit = new Promise((resolve) => first.on('exit', resolve));
      await waitFor(
        'the pieces submitted',
        () => journalEntries(dir).filter((entry) => entry.type === 'submitted' && entry.id.startsWith('Piece_')).length === 3,
        180_000,
      );
      const waiting = runB2(['status'], { cwd: dir });
      expect(waiting.stdout).toContain('Merge()  waiting for 3 dependencies');
      first.kill('SIGKILL');
      await firstExit;

      const rerun = spawn(process.execPath, [B2_BIN, ...command()], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(rerun);
      let stderr = '';
      rerun.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const rerunExit = new Promise<number | null>((resolve) => rerun.on('exit', (code) => resolve(code)));
      // Long enough for the rerun to have submitted Merge, had it not known what Merge waits for.
      await waitFor('the rerun', () => journalEntries(dir).filter((entry) => entry.type === 'run-started').length === 2, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(runCounts(dir).Merge).toBe(1);
      writeFileSync(path.join(dir, 'go'), '');
      expect(await rerunExit).toBe(0);
      expect(stderr).toContain('resuming');
      expect(readFileSync(path.join(dir, 'merged.txt'), 'utf8')).toBe('30');
      expect(runCounts(dir)).toEqual({ Count: 1, Merge: 2, 'Merge continues': 1, 'Piece 0': 1, 'Piece 1': 1, 'Piece 2': 1 });
      // Count, Merge twice, three pieces: the pieces' jobs were adopted, not submitted again.
      expect(new Set(journaledJobs(dir).map((job) => job.jobId)).size).toBe(6);
      passed = true;
    }, 360_000);
  });
}
