import { describe, expect, it } from '@jest/globals';
import { exitFileWorthReading, failureReason, holdSubmissions, judgeJob, nothingToJudge, reasonGivenExplanation, waitingInQueue, type JobObservation } from '../../src/batch/judge.js';
import { explainSgeExit } from '../../src/systems/sge.js';
import { jobSpec } from '../systems/helpers.js';

const base: JobObservation = { now: 1000, lostGraceMs: 300_000, exitFileGraceMs: 15_000, heldGraceMs: 300_000 };
const q = (state: NonNullable<JobObservation['queue']>['state'], extra: Partial<NonNullable<JobObservation['queue']>> = {}) => ({
  jobId: '1',
  state,
  native: state.toUpperCase(),
  ...extra,
});

describe('judgeJob', () => {
  it('trusts the exit file for success and plain failures', () => {
    expect(judgeJob({ ...base, exitStatus: 0, queue: q('running') })).toEqual({ kind: 'succeeded' });
    expect(judgeJob({ ...base, exitStatus: 3 })).toMatchObject({ kind: 'failed', reason: 'exit', exitCode: 3 });
  });

  it('reports a walltime kill as a timeout, not a plain failure', () => {
    expect(judgeJob({ ...base, exitStatus: 143, queue: q('timeout', { reason: 'TimeLimit' }) })).toMatchObject({
      kind: 'failed',
      reason: 'timeout',
      message: 'timed out: the job exceeded its walltime (TimeLimit)',
    });
    // The signal arrived before the queue caught up: wait a little for its verdict.
    expect(judgeJob({ ...base, exitStatus: 143, queue: q('running'), lastSeenAt: 900 })).toEqual({ kind: 'wait' });
    expect(judgeJob({ ...base, exitStatus: 143, queue: q('running'), lastSeenAt: 0, now: 20_000 })).toMatchObject({ reason: 'exit' });
    expect(judgeJob({ ...base, queue: q('timeout'), endedAt: 0, now: 16_000 })).toMatchObject({ reason: 'timeout' });
  });

  it('fails a job held longer than the grace with its reason, and asks to remove it', () => {
    expect(judgeJob({ ...base, queue: q('held', { reason: 'disk quota exceeded' }), heldSince: 0, now: 301_000 })).toEqual({
      kind: 'failed',
      reason: 'held',
      kill: true,
      message: 'the job was held by the batch system: disk quota exceeded (held for 301 s, held_grace 300 s)',
    });
    expect(judgeJob({ ...base, queue: q('held', { native: 'USUSP' }), heldSince: 0, now: 301_000 })).toMatchObject({
      message: 'the job was held by the batch system: USUSP, no reason given (held for 301 s, held_grace 300 s)',
    });
  });

  it('waits while a job is held for less than the grace (it may be released)', () => {
    expect(judgeJob({ ...base, queue: q('held'), heldSince: 0, now: 299_000 })).toEqual({ kind: 'wait' });
    // First seen held at this very check.
    expect(judgeJob({ ...base, queue: q('held'), now: 10_000_000 })).toEqual({ kind: 'wait' });
  });

  it('fails a held job at once when the grace is 0', () => {
    expect(judgeJob({ ...base, heldGraceMs: 0, queue: q('held'), heldSince: 1000 })).toMatchObject({ kind: 'failed', reason: 'held', kill: true });
  });

  it('keeps waiting while the queue says pending, running or unknown', () => {
    for (const state of ['pending', 'running', 'unknown'] as const) expect(judgeJob({ ...base, queue: q(state) })).toEqual({ kind: 'wait' });
  });

  it('waits for a lagging exit file, then says how the job ended', () => {
    expect(judgeJob({ ...base, queue: q('failed'), endedAt: 500 })).toEqual({ kind: 'wait' });
    expect(judgeJob({ ...base, queue: q('failed', { exitCode: 0 }), endedAt: 0, now: 16_000 })).toMatchObject({ reason: 'ended' });
    expect(judgeJob({ ...base, queue: q('cancelled'), endedAt: 0, now: 16_000 })).toMatchObject({ reason: 'cancelled' });
  });

  it('declares a job lost only after queries missed it for the whole grace period', () => {
    // Never asked about yet (a slow first query): however long ago it was submitted, wait.
    expect(judgeJob({ ...base, now: 10_000_000 })).toEqual({ kind: 'wait' });
    expect(judgeJob({ ...base, missingSince: 0, now: 299_000 })).toEqual({ kind: 'wait' });
    expect(judgeJob({ ...base, missingSince: 0, now: 301_000 })).toMatchObject({ reason: 'lost', message: expect.stringContaining('for 301 s') });
  });
});

describe('nothingToJudge', () => {
  const observations: JobObservation[] = [];
  for (const exitStatus of [undefined, 0, 1, 143])
    for (const state of [undefined, 'pending', 'running', 'unknown', 'held', 'succeeded', 'failed', 'cancelled', 'timeout'] as const)
      for (const missingSince of [undefined, 0])
        observations.push({
          ...base,
          ...(exitStatus === undefined ? {} : { exitStatus }),
          ...(state === undefined ? {} : { queue: q(state) }),
          ...(missingSince === undefined ? {} : { missingSince }),
          ...(state === 'held' ? { heldSince: 0 } : {}),
          endedAt: 0,
          lastSeenAt: 0,
        });

  it('is true only where judgeJob says "wait" at any time', () => {
    for (const o of observations.filter((o) => nothingToJudge(o))) {
      for (const now of [0, 10_000, 10_000_000]) expect({ o, verdict: judgeJob({ ...o, now }) }).toEqual({ o, verdict: { kind: 'wait' } });
    }
  });

  it('skips the jobs that are simply pending or running, and no other', () => {
    const skipped = observations.filter((o) => nothingToJudge(o)).map((o) => o.queue?.state ?? 'not seen');
    expect(skipped.sort()).toEqual(['not seen', 'pending', 'running', 'unknown']);
  });
});

describe('exitFileWorthReading', () => {
  const answeredAt = 10_000;

  it('waits for the next answer of the queue for a job the latest one listed as pending', () => {
    expect(exitFileWorthReading({ queue: q('pending'), lastSeenAt: answeredAt }, answeredAt)).toBe(false);
  });

  it('looks when the latest query failed, or the job was not in the latest answer', () => {
    expect(exitFileWorthReading({ queue: q('pending'), lastSeenAt: answeredAt }, undefined)).toBe(true);
    expect(exitFileWorthReading({ queue: q('pending'), lastSeenAt: 8000 }, answeredAt)).toBe(true);
  });

  it('always looks for jobs that may have run: running, ended, unknown or not seen', () => {
    for (const state of ['running', 'unknown', 'held', 'succeeded', 'failed', 'cancelled', 'timeout'] as const) {
      expect(exitFileWorthReading({ queue: q(state), lastSeenAt: answeredAt }, answeredAt)).toBe(true);
    }
    expect(exitFileWorthReading({}, answeredAt)).toBe(true);
  });
});

describe('waitingInQueue', () => {
  it('is true only for jobs the latest successful answer listed as pending', () => {
    expect(waitingInQueue({ queue: q('pending'), lastSeenAt: 10_000 }, 10_000)).toBe(true);
    expect(waitingInQueue({ queue: q('pending'), lastSeenAt: 10_000 }, undefined)).toBe(false);
    expect(waitingInQueue({ queue: q('pending'), lastSeenAt: 10_000 }, 12_000)).toBe(false);
    expect(waitingInQueue({ queue: q('running'), lastSeenAt: 10_000 }, 10_000)).toBe(false);
    expect(waitingInQueue({}, 10_000)).toBe(false);
  });
});

describe('holdSubmissions', () => {
  it('holds ready jobs back while the farm has at least as many of the run waiting', () => {
    expect(holdSubmissions(10, 150, 200)).toBe(true);
    expect(holdSubmissions(149, 150, 200)).toBe(true);
  });

  it('lets them go once they are as many as the jobs waiting, or a full group', () => {
    expect(holdSubmissions(150, 150, 200)).toBe(false);
    expect(holdSubmissions(200, 1000, 200)).toBe(false);
  });

  it('never holds when nothing of the run is known to wait (an idle farm, or no recent answer)', () => {
    expect(holdSubmissions(1, 0, 200)).toBe(false);
  });
});

describe('failureReason', () => {
  const failed = (o: Partial<JobObservation>) => {
    const verdict = judgeJob({ ...base, ...o });
    if (verdict.kind !== 'failed') throw new Error(`expected a failure, got ${verdict.kind}`);
    return failureReason(verdict);
  };

  it('tells a non-zero exit from a signal by the recorded status', () => {
    expect(failed({ exitStatus: 3 })).toBe('exit');
    expect(failed({ exitStatus: 137 })).toBe('signal');
  });

  it('gives the queue verdicts as they are, and an ended job without exit status as lost', () => {
    expect(failed({ queue: q('timeout'), endedAt: 0, now: 16_000 })).toBe('timeout');
    expect(failed({ queue: q('cancelled'), endedAt: 0, now: 16_000 })).toBe('cancelled');
    expect(failed({ queue: q('held'), heldSince: 0, heldGraceMs: 0 })).toBe('held');
    expect(failed({ queue: q('failed', { exitCode: 1 }), endedAt: 0, now: 16_000 })).toBe('lost');
    expect(failed({ missingSince: 0, now: 400_000 })).toBe('lost');
  });
});

describe('judgeJob: out of memory', () => {
  it('Slurm OUT_OF_MEMORY (also cut to OUT_OF_ME+ by sacct), with or without an exit file', () => {
    expect(judgeJob({ ...base, exitStatus: 137, queue: q('failed', { native: 'OUT_OF_MEMORY' }) })).toMatchObject({ kind: 'failed', reason: 'memory', message: 'out of memory: the job used more than its memory limit (OUT_OF_MEMORY)' });
    expect(judgeJob({ ...base, queue: q('failed', { native: 'OUT_OF_ME+' }), endedAt: 0, now: 16_000 })).toMatchObject({ reason: 'memory' });
    // Until the queue says so, a killed task waits for its word, as with a timeout.
    expect(judgeJob({ ...base, exitStatus: 137, queue: q('running'), lastSeenAt: 900 })).toEqual({ kind: 'wait' });
  });

  it('LSF TERM_MEMLIMIT', () => {
    const queue = q('failed', { native: 'EXIT', reason: 'TERM_MEMLIMIT: job killed after reaching LSF memory usage limit' });
    expect(judgeJob({ ...base, exitStatus: 130, queue })).toMatchObject({ reason: 'memory', message: 'out of memory: the job used more than its memory limit (TERM_MEMLIMIT: job killed after reaching LSF memory usage limit)' });
    expect(failureReason(judgeJob({ ...base, queue, endedAt: 0, now: 16_000 }) as Extract<ReturnType<typeof judgeJob>, { kind: 'failed' }>)).toBe('memory');
  });

  it('an HTCondor hold for memory fails at once (a release would only hold it again) and asks to remove it', () => {
    expect(judgeJob({ ...base, queue: q('held', { native: '5', reason: 'Job has gone over memory limit of 100 megabytes. Peak usage: 300 megabytes.' }), heldSince: 1000 })).toMatchObject({
      kind: 'failed',
      reason: 'memory',
      kill: true,
    });
    expect(judgeJob({ ...base, queue: q('held', { native: '5', reason: 'disk quota exceeded' }), heldSince: 1000 })).toEqual({ kind: 'wait' });
  });

  it('a plain failure is not taken for one', () => {
    expect(judgeJob({ ...base, exitStatus: 1, queue: q('failed', { native: 'FAILED', reason: 'NonZeroExitCode' }) })).toMatchObject({ reason: 'exit' });
  });
});

describe('reasonGivenExplanation', () => {
  it("takes Grid Engine's reading of a death under h_vmem for out of memory", () => {
    const verdict = judgeJob({ ...base, exitStatus: 133 }) as Extract<ReturnType<typeof judgeJob>, { kind: 'failed' }>;
    const job = jobSpec({ resources: { memoryMb: 600 }, systemOptions: { sge_memory_resource: 'h_vmem' } });
    expect(reasonGivenExplanation(verdict, explainSgeExit(job, 133, ''))).toBe('memory');
    expect(reasonGivenExplanation(verdict, undefined)).toBe('signal');
    expect(reasonGivenExplanation(verdict, 'some other reading')).toBe('signal');
  });
});
