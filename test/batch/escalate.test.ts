import { describe, expect, it } from '@jest/globals';
import { escalation, NONE, ranOutAfter, ranOutSoFar } from '../../src/batch/escalate.js';

describe('escalation', () => {
  it('counts what each failure ran out of', () => {
    const once = ranOutAfter(NONE, 'memory');
    expect(once).toEqual({ memory: 1, walltime: 0 });
    expect(ranOutAfter(once, 'timeout')).toEqual({ memory: 1, walltime: 1 });
    expect(ranOutAfter(once, 'exit')).toBe(once);
  });

  it('multiplies by the factor for each time, within the cap', () => {
    expect(escalation({ memory: 1, walltime: 0 }, 2, 4)).toEqual({ memory: 2, walltime: 1 });
    expect(escalation({ memory: 2, walltime: 1 }, 2, 4)).toEqual({ memory: 4, walltime: 2 });
    expect(escalation({ memory: 3, walltime: 0 }, 2, 4)).toEqual({ memory: 4, walltime: 1 });
    expect(escalation({ memory: 1, walltime: 1 }, 1.5, 10)).toEqual({ memory: 1.5, walltime: 1.5 });
  });

  it('carries on from the records of a dead runner\'s attempts', () => {
    expect(ranOutSoFar([{ reason: 'memory' }, { reason: 'lost' }, { reason: 'memory' }, { reason: 'timeout' }])).toEqual({ memory: 2, walltime: 1 });
    expect(ranOutSoFar([{ reason: 'lost' }])).toBe(NONE);
    expect(ranOutSoFar(undefined)).toBe(NONE);
  });

  it('is off with a factor of 1, the default', () => {
    expect(escalation({ memory: 3, walltime: 3 }, 1, 4)).toEqual({ memory: 1, walltime: 1 });
  });
});
