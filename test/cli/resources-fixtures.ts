/** What the resource accounting suites run and expect. */
import { expect } from '@jest/globals';

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

export interface TaskJson {
  id: string;
  family: string;
  submittedAt?: string;
  startedAt?: string;
  endedAt?: string;
  queueWaitSeconds?: number;
  resources?: Array<{ attempt: number; cpuSeconds: number; maxRssMb: number; wallSeconds: number; host: string; exitCode: number; requested?: Record<string, number> }>;
}

export const expectPlausible = (task: TaskJson): void => {
  expect(task.resources).toHaveLength(1);
  const [used] = task.resources!;
  expect(used).toMatchObject({ attempt: 1, exitCode: 0 });
  expect(used!.cpuSeconds).toBeGreaterThanOrEqual(0.4);
  expect(used!.maxRssMb).toBeGreaterThanOrEqual(80);
  expect(used!.wallSeconds).toBeGreaterThanOrEqual(0.4);
  expect(used!.host).not.toBe('');
  expect(Date.parse(task.endedAt!)).toBeGreaterThan(Date.parse(task.startedAt!));
};
