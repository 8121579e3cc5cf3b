import { describe, expect, it } from '@jest/globals';
import { attemptRecord, parseMeasurement, queueWaitSeconds } from '../../src/run/resources.js';

const finished = { startedAt: 10_000, host: 'wn042', endedAt: 12_500, exitCode: 0, cpuSeconds: 2.123456, maxRssMb: 812.345 };

describe('parseMeasurement', () => {
  it('reads what the worker wrote, at its start and at its end', () => {
    expect(parseMeasurement(JSON.stringify({ startedAt: 5, host: 'n1' }))).toEqual({ startedAt: 5, host: 'n1' });
    expect(parseMeasurement(JSON.stringify(finished))).toEqual(finished);
  });

  it.each(['', '{"startedAt":', 'null', '[]', '{"host":"n1"}', '{"startedAt":-1,"host":"n1"}', '{"startedAt":"5","host":"n1"}'])('rejects %j', (text) => {
    expect(parseMeasurement(text)).toBeUndefined();
  });

  it('drops fields that are not plain non-negative numbers', () => {
    expect(parseMeasurement(JSON.stringify({ startedAt: 5, host: 'n1', cpuSeconds: 'lots', maxRssMb: -3 }))).toEqual({ startedAt: 5, host: 'n1' });
  });
});

describe('attemptRecord', () => {
  const ctx = { attempt: 2, submittedAt: 9_000, requested: { cpus: 1, memoryMb: 1024 }, judgedAt: 20_000 };

  it('combines the measurement with what the runner knows: attempt, submission, request', () => {
    expect(attemptRecord(finished, ctx)).toEqual({
      measured: {
        attempt: 2,
        submittedAt: 9_000,
        startedAt: 10_000,
        endedAt: 12_500,
        exitCode: 0,
        wallSeconds: 2.5,
        cpuSeconds: 2.123,
        maxRssMb: 812.3,
        host: 'wn042',
        requested: { cpus: 1, memoryMb: 1024 },
      },
    });
  });

  it('records a killed attempt without numbers it does not have: start and node from the worker, end when judged, the reason', () => {
    expect(attemptRecord({ startedAt: 10_000, host: 'wn042' }, { ...ctx, reason: 'memory' })).toEqual({
      unmeasured: { attempt: 2, submittedAt: 9_000, startedAt: 10_000, endedAt: 20_000, host: 'wn042', reason: 'memory', requested: { cpus: 1, memoryMb: 1024 } },
    });
  });

  it('ignores a measurement left by an earlier attempt (started long before this job was submitted)', () => {
    expect(attemptRecord(finished, { ...ctx, submittedAt: 10_000 + 3_600_000, reason: 'lost' })).toEqual({
      unmeasured: { attempt: 2, submittedAt: 3_610_000, endedAt: 20_000, reason: 'lost', requested: { cpus: 1, memoryMb: 1024 } },
    });
  });

  it('leaves out an empty request', () => {
    expect(attemptRecord(finished, { attempt: 1, requested: {}, judgedAt: 1 })).toEqual({ measured: expect.not.objectContaining({ requested: expect.anything() }) });
  });
});

describe('queueWaitSeconds', () => {
  it('is start minus submission, when both are known', () => {
    expect(queueWaitSeconds({ submittedAt: 1_000, startedAt: 4_500 })).toBe(3.5);
    expect(queueWaitSeconds({ startedAt: 4_500 })).toBeUndefined();
  });
});
