/**
 * Dynamic dependencies on the real Slurm and Grid Engine of this machine:
 * sbatch/qsub run the requester's job, which ends with the "needs
 * dependencies" status; the runner submits what it asked for, then the
 * requester again. And a runner killed while the requester waits is taken
 * over without running anything twice.
 */
import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeIfSge, describeIfSlurm } from '../helpers/clusters.js';
import { client } from '../helpers/real-batch.js';
import { realSuite } from '../helpers/real-suite.js';
import { B2_BIN, runB2 } from '../helpers/b2.js';
import { journalEntries, journaledJobs } from '../helpers/runs.js';
import { countedPipeline, examplePipeline, killWhileWaitingThenRerun } from '../helpers/dynamic.js';

const SYSTEMS = [
  { name: 'slurm', describe: describeIfSlurm, cancel: (ids: readonly string[]) => void client(['scancel', ...ids], { allowFailure: true }) },
  { name: 'sge', describe: describeIfSge, cancel: (ids: readonly string[]) => void client(['qdel', ...ids], { allowFailure: true }) },
] as const;

// As runB2 does: no b2 settings inherited from the caller's environment.
const cleanEnv = (): NodeJS.ProcessEnv => ({ ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('B2_'))), NO_COLOR: '1' });

for (const system of SYSTEMS) {
  system.describe(`dynamic dependencies on a real ${system.name}`, () => {
    const { test, project, track } = realSuite({
      // Every job the runs journaled is cancelled: cancelling a finished one is harmless.
      activeJobs: () => ({ has: () => true }),
      cancel: system.cancel,
    });
    const command = (extra: readonly string[] = []): string[] => ['run', 'pipeline.ts', '--batch', '--batch-system', system.name, '--workers', '20', '--no-progress', '--setting', 'poll_interval=0.5', ...extra];

    test('runs the example: the requester ends, its files are processed, it is resubmitted and finishes', () => {
      const dir = project({ 'pipeline.ts': examplePipeline() });
      const result = runB2(command(['MergeFiles', '--files', '3', '--setting', 'retries=0']), { cwd: dir, timeoutMs: 240_000 });
      expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
      expect(readFileSync(path.join(dir, 'results', 'files=3', 'merged.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
      const merge = journalEntries(dir).filter((entry) => 'id' in entry && entry.id.startsWith('MergeFiles_'));
      expect(merge.filter((entry) => entry.type === 'submitted')).toHaveLength(2);
      expect(merge.filter((entry) => entry.type === 'requested')).toEqual([expect.objectContaining({ restart: true, added: 3 })]);
      expect(merge.at(-1)).toMatchObject({ type: 'succeeded', attempt: 2 });
    }, 300_000);

    test('a runner killed while the requester waits is taken over: dependencies, then the requester, each once', async () => {
      const dir = project({ 'pipeline.ts': countedPipeline({ gated: true }) });
      await killWhileWaitingThenRerun({ dir, argv: [B2_BIN, ...command()], env: cleanEnv(), track, submitWithinMs: 180_000, settleMs: 5000 });
      // Count, Merge twice, three pieces: the pieces' jobs were adopted, not submitted again.
      expect(new Set(journaledJobs(dir).map((job) => job.jobId)).size).toBe(6);
    }, 360_000);
  });
}
