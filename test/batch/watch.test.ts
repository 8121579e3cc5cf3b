import { describe, expect, it } from '@jest/globals';
import type { JobStatus } from '../../src/systems/contract.js';
import { nextSight, observationOf, type QueueSight } from '../../src/batch/watch.js';

const status = (state: JobStatus['state']): JobStatus => ({ jobId: '7', state, native: state.toUpperCase() });
const unseen: QueueSight = { kind: 'unseen' };
const observed = (sight: QueueSight, exitStatus?: number) => observationOf({ job: {} as never, system: 'slurm', jobId: '7', submittedAt: 0, exitFile: '', adopted: false, exitStatus, sight, quiet: false });

describe('what the queue has said of a job', () => {
  it('knows nothing before an answer lists or misses it, and nothing from answers asked before the submission', () => {
    expect(observed(unseen)).toEqual({});
    expect(nextSight(unseen, undefined, 5, 6, 10)).toBe(unseen);
  });

  it('keeps since when a job is held, through answers that hold it still, and drops it when released', () => {
    const held = nextSight(unseen, status('held'), 10, 11, 0);
    const stillHeld = nextSight(held, status('held'), 20, 21, 0);
    expect(observed(stillHeld)).toMatchObject({ heldSince: 10, lastSeenAt: 20, queue: { state: 'held' } });
    expect(observed(nextSight(stillHeld, status('running'), 30, 31, 0))).not.toHaveProperty('heldSince');
  });

  it('keeps when the job was first seen ended, and when it was last listed once the queue misses it', () => {
    const ended = nextSight(nextSight(unseen, status('failed'), 10, 12, 0), status('failed'), 20, 22, 0);
    expect(observed(ended)).toMatchObject({ endedAt: 12, lastSeenAt: 20 });
    const missing = nextSight(nextSight(ended, undefined, 30, 31, 0), undefined, 40, 41, 0);
    expect(observed(missing, 1)).toEqual({ exitStatus: 1, queue: status('failed'), lastSeenAt: 20, endedAt: 12, missingSince: 30 });
  });

  it('is no longer missing once an answer lists the job again', () => {
    const missing = nextSight(unseen, undefined, 10, 11, 0);
    expect(observed(missing)).toEqual({ missingSince: 10 });
    expect(observed(nextSight(missing, status('running'), 20, 21, 0))).toEqual({ queue: status('running'), lastSeenAt: 20 });
  });
});
