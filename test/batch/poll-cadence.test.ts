/** The adaptive wait between status queries, without a clock. */
import { describe, expect, it } from '@jest/globals';
import { CADENCE_GROWTH, cadenceLimits, nextPollDelay } from '../../src/batch/poll-cadence.js';

const limits = cadenceLimits(1, 10);

describe('poll cadence', () => {
  it('starts at the floor and grows by CADENCE_GROWTH per quiet answer, up to the cap', () => {
    const waits: number[] = [];
    let wait: number | undefined;
    for (let i = 0; i < 9; i++) {
      wait = nextPollDelay(wait, false, limits);
      waits.push(wait);
    }
    expect(CADENCE_GROWTH).toBeGreaterThanOrEqual(1.5);
    expect(waits).toEqual([1000, 1500, 2250, 3375, 5062.5, 7593.75, 10_000, 10_000, 10_000]);
  });

  it('drops back to the floor when jobs moved on', () => {
    expect(nextPollDelay(10_000, true, limits)).toBe(1000);
    expect(nextPollDelay(nextPollDelay(10_000, true, limits), false, limits)).toBe(1500);
  });

  it('takes the cap as the floor when the floor is set above it (poll_interval below poll_interval_min)', () => {
    const tight = cadenceLimits(2, 0.3);
    expect(tight).toEqual({ minMs: 300, maxMs: 300 });
    expect(nextPollDelay(undefined, false, tight)).toBe(300);
    expect(nextPollDelay(300, false, tight)).toBe(300);
  });
});
