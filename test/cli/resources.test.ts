/**
 * Resource accounting end to end: what each attempt used, measured by the
 * local worker and by the batch job's worker, in the journal and in
 * `b2 status --json`.
 */
import { describe, expect, it } from '@jest/globals';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { makeProject, runB2 } from '../helpers/b2.js';
import { journalEntries } from '../helpers/runs.js';

/** Tasks that keep ~100 MB resident and burn 0.5 s of CPU (not of wall time: the machine may be busy). */
export const burnPipeline = (count = 3): string => `
import { writeFileSync } from 'node:fs';
import { Task, param } from 'b2';
export class Burn extends Task.with({ n: param.int() }) {
  *output() { yield this.addToOutput('burn.txt'); }
  run() {
    const keep = Buffer.alloc(100 * 1024 * 1024, 1);
    const cpu = process.cpuUsage();
    let x = 0;
    for (;;) {
      for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
      const used = process.cpuUsage(cpu);
      if (used.user + used.system >= 500_000) break;
    }
    writeFileSync(this.getOutputFileName('burn.txt'), String(keep[this.n] + x));
  }
}
export class All extends Task {
  *requires() { for (let i = 0; i < ${count}; i++) yield new Burn({ n: i }); }
  *output() { yield this.addToOutput('all.txt'); }
  run() { writeFileSync(this.getOutputFileName('all.txt'), 'done'); }
}
export default new All();
`;

interface TaskJson {
  id: string;
  family: string;
  submittedAt?: string;
  startedAt?: string;
  endedAt?: string;
  queueWaitSeconds?: number;
  resources?: Array<{ attempt: number; cpuSeconds: number; maxRssMb: number; wallSeconds: number; host: string; exitCode: number; requested?: Record<string, number> }>;
}

const burns = (dir: string, env?: NodeJS.ProcessEnv): TaskJson[] => {
  const status = runB2(['status', '--json'], { cwd: dir, ...(env ? { env } : {}) });
  expect(status.code).toBe(0);
  return (JSON.parse(status.stdout) as { tasks: TaskJson[] }).tasks.filter((task) => task.family === 'Burn');
};

const expectPlausible = (task: TaskJson): void => {
  expect(task.resources).toHaveLength(1);
  const [used] = task.resources!;
  expect(used).toMatchObject({ attempt: 1, exitCode: 0 });
  expect(used!.cpuSeconds).toBeGreaterThanOrEqual(0.4);
  expect(used!.maxRssMb).toBeGreaterThanOrEqual(80);
  expect(used!.wallSeconds).toBeGreaterThanOrEqual(0.4);
  expect(used!.host).not.toBe('');
  expect(Date.parse(task.endedAt!)).toBeGreaterThan(Date.parse(task.startedAt!));
};

const cluster = useFakeClusters();

describe('resource accounting', () => {
  it('local: the pool worker measures each task, and status --json carries it', () => {
    const dir = makeProject({ 'pipeline.ts': burnPipeline() });
    const run = runB2(['run', 'pipeline.ts', '--workers', '2', '--setting', 'memory=1GB', '--setting', 'cpus=2'], { cwd: dir });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    const tasks = burns(dir);
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expectPlausible(task);
      expect(task.resources![0]!.requested).toEqual({ cpus: 2, memoryMb: 1024 });
      expect(task.submittedAt).toBeUndefined();
    }
    expect(journalEntries(dir).filter((e) => e.type === 'resources')).toHaveLength(4);
  });

  it('batch (LSF simulator): the job writes its measurement next to its exit status; the runner journals it with the submission time', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': burnPipeline() });
    const run = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'lsf', '--workers', '10', ...FAST, '--setting', 'memory=2GB'], { cwd: dir, env: fake.env });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    for (const task of burns(dir, fake.env)) {
      expectPlausible(task);
      expect(task.resources![0]!.requested).toEqual({ memoryMb: 2048 });
      expect(Date.parse(task.startedAt!)).toBeGreaterThanOrEqual(Date.parse(task.submittedAt!) - 1000);
      expect(task.queueWaitSeconds).toBeGreaterThanOrEqual(0);
    }
  });
});
