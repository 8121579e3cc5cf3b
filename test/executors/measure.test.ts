import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childCpuSecondsFromStat, peakRssMbFromStatus, readMeasurement, startMeasuring, writeMeasurement } from '../../src/executors/measure.js';

describe('/proc parsers', () => {
  it('reads cutime + cstime (fields 16 and 17) after a command name with spaces and parentheses', () => {
    const stat = '4242 (node (my) job) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 30 170 80 20 0 11 0 12345 1000000 5000 18446744073709551615';
    expect(childCpuSecondsFromStat(stat)).toBeCloseTo(2.5);
  });

  it('reads VmHWM in megabytes', () => {
    expect(peakRssMbFromStatus('Name:\tnode\nVmPeak:\t 900000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1024 kB\n')).toBe(200);
    expect(peakRssMbFromStatus('Name:\tnode\n')).toBeUndefined();
  });
});

describe('startMeasuring', () => {
  it('counts the CPU time and the peak memory of the work done after it started', () => {
    const measuring = startMeasuring(true);
    const keep = Buffer.alloc(100 * 1024 * 1024, 1);
    const cpu = process.cpuUsage();
    while ((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6 < 0.5);
    const done = measuring.finish(0);
    expect(keep.length).toBeGreaterThan(0);
    expect(done.cpuSeconds).toBeGreaterThanOrEqual(0.45);
    expect(done.maxRssMb).toBeGreaterThanOrEqual(100);
    expect(done.endedAt! - done.startedAt).toBeGreaterThanOrEqual(400);
    expect(done).toMatchObject({ exitCode: 0, host: os.hostname() });
  });

  it('writes and reads the record whole', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'b2-measure-')), 'resources.json');
    expect(readMeasurement(file)).toBeUndefined();
    expect(writeMeasurement(file, { startedAt: 1, host: 'n' })).toBeUndefined();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ startedAt: 1, host: 'n' });
    expect(readMeasurement(file)).toEqual({ startedAt: 1, host: 'n' });
    expect(writeMeasurement(path.join(file, 'not-a-folder', 'x.json'), { startedAt: 1, host: 'n' })).toMatch(/cannot record what the task used/);
  });
});
