/**
 * Resource accounting on the real Slurm of scripts/slurm-up.sh: the job's
 * worker measures the task on the node, the runner journals it with the
 * submission time, and `b2 status --json` carries it.
 */
import { afterEach, expect, it, jest } from '@jest/globals';
import { rmSync } from 'node:fs';
import { describeIfSlurm } from '../helpers/clusters.js';
import { client } from '../helpers/real-batch.js';
import { makeProject, runB2 } from '../helpers/b2.js';
import { journaledJobs } from '../helpers/runs.js';
import { burnPipeline, expectPlausible, type TaskJson } from './resources-fixtures.js';

jest.setTimeout(240_000);

describeIfSlurm('resource accounting on a real Slurm', () => {
  const projects: string[] = [];
  afterEach(() => {
    for (const dir of projects.splice(0)) {
      const ids = journaledJobs(dir).map((job) => job.jobId);
      if (ids.length > 0) client(['scancel', ...ids], { allowFailure: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each task has plausible numbers: CPU time, peak memory, node, queue wait, and what it asked for', () => {
    const dir = makeProject({ 'pipeline.ts': burnPipeline(2) });
    projects.push(dir);
    const settings = ['--setting', 'poll_interval=0.5', '--setting', 'memory=1GB', '--setting', 'walltime=10m', '--setting', 'cpus=1'];
    const run = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'slurm', '--workers', '5', ...settings], { cwd: dir });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    const status = runB2(['status', '--json'], { cwd: dir });
    const tasks = (JSON.parse(status.stdout) as { tasks: TaskJson[] }).tasks.filter((task) => task.family === 'Burn');
    expect(tasks).toHaveLength(2);
    for (const task of tasks) {
      expectPlausible(task);
      expect(task.resources![0]!.requested).toEqual({ cpus: 1, memoryMb: 1024, walltimeSeconds: 600 });
      expect(task.queueWaitSeconds).toBeGreaterThanOrEqual(0);
      expect(Date.parse(task.startedAt!)).toBeGreaterThanOrEqual(Date.parse(task.submittedAt!) - 1000);
    }
  });
});
