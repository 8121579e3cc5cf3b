import { describe, expect, it } from '@jest/globals';
import { cpuEfficiency, familyUsage, formatSeconds, memoryEfficiency, quantile, usageTable } from '../../src/report/resources.js';
import { attempt, taskWith } from './fixtures.js';

describe('quantile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.95)).toBe(95);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('efficiencies', () => {
  it('CPU: cpu time over wall × CPUs asked for, one CPU when none were', () => {
    expect(cpuEfficiency(attempt({ cpuSeconds: 8, wallSeconds: 10 }))).toBeCloseTo(0.8);
    expect(cpuEfficiency(attempt({ cpuSeconds: 8, wallSeconds: 10, requested: { cpus: 4 } }))).toBeCloseTo(0.2);
    expect(cpuEfficiency(attempt({ wallSeconds: 0 }))).toBeUndefined();
  });

  it('memory: peak over what was asked for, none without a request', () => {
    expect(memoryEfficiency(attempt({ maxRssMb: 256, requested: { memoryMb: 1024 } }))).toBe(0.25);
    expect(memoryEfficiency(attempt())).toBeUndefined();
  });
});

describe('familyUsage', () => {
  it('gives per family the spread of wall time, queue wait and peak memory, and median efficiencies', () => {
    const tasks = [1, 2, 3, 4].map((i) =>
      taskWith(`A_${i}`, 'A', [attempt({ submittedAt: 10_000 - i * 1000, wallSeconds: i * 10, cpuSeconds: i * 5, maxRssMb: i * 100, requested: { memoryMb: 1000 } })]),
    );
    const [a] = familyUsage(tasks);
    expect(a).toMatchObject({
      family: 'A',
      tasks: 4,
      attempts: 4,
      wallSeconds: { median: 20, p95: 40 },
      queueWaitSeconds: { median: 2, p95: 4 },
      maxRssMb: { median: 200, p95: 400 },
      cpuEfficiency: 0.5,
      memoryEfficiency: 0.2,
      lowCpu: [],
      lowMemory: ['A_1'],
      outOfMemory: 0,
      timedOut: 0,
    });
  });

  it('flags tasks by their latest attempt, and counts attempts that ran out of memory or walltime', () => {
    const escalated = taskWith('B_1', 'B', [attempt({ attempt: 2, cpuSeconds: 1, wallSeconds: 10, requested: { memoryMb: 600 } })], {
      unmeasured: [{ attempt: 1, endedAt: 5, reason: 'memory', requested: { memoryMb: 300 } }],
    });
    const timedOut = taskWith('B_2', 'B', [], { phase: 'failed', unmeasured: [{ attempt: 1, endedAt: 5, reason: 'timeout' }] });
    const [b] = familyUsage([escalated, timedOut]);
    expect(b).toMatchObject({ tasks: 1, attempts: 1, lowCpu: ['B_1'], lowMemory: [], outOfMemory: 1, timedOut: 1 });
    const table = usageTable([b!]);
    expect(table.rows[0]).toEqual(['B', '1', '10s', '10s', '-', '500 MB', '10%', '83%']);
    expect(table.flags).toEqual([
      'B: 1 of 1 task(s) used less than 20% of the CPU time they had, wall time × cpus (e.g. B_1)',
      'B: 1 attempt(s) ran out of memory',
      'B: 1 attempt(s) ran out of walltime',
    ]);
  });

  it('leaves out families without any record', () => {
    expect(familyUsage([taskWith('C_1', 'C', [])])).toEqual([]);
  });
});

describe('formatSeconds', () => {
  it.each([
    [0.42, '0.4s'],
    [12.4, '12s'],
    [185, '3m 05s'],
    [7800, '2h 10m'],
  ])('%s s is %s', (seconds, text) => expect(formatSeconds(seconds)).toBe(text));
});
