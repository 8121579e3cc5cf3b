/** The token bucket of rate-limited batch commands, on an injected clock. */
import { describe, expect, it } from '@jest/globals';
import { fullBucket, reserve, TokenBucket } from '../../src/batch/rate-limit.js';

describe('token bucket', () => {
  it('lets a burst go at once, then one command per 1/rate, queueing callers that arrive together', () => {
    let now = 0;
    const bucket = new TokenBucket({ rate: 2, burst: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([500, 1000, 1500]);
    now = 1500; // the three waiters have gone; the bucket is empty again
    expect(bucket.take()).toBe(500);
  });

  it('refills while quiet, never beyond the burst', () => {
    let now = 0;
    const bucket = new TokenBucket({ rate: 10, burst: 2 }, () => now);
    bucket.take();
    bucket.take();
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 100]);
  });

  it('does not limit with a rate of 0, and treats a burst below 1 as 1', () => {
    const unlimited = { rate: 0, burst: 1 };
    let state = fullBucket(unlimited, 0);
    for (let i = 0; i < 1000; i++) {
      const next = reserve(state, unlimited, 0);
      expect(next.waitMs).toBe(0);
      state = next.state;
    }
    const tiny = new TokenBucket({ rate: 1, burst: 0 }, () => 0);
    expect([tiny.take(), tiny.take()]).toEqual([0, 1000]);
  });

  it('keeps the debt when its limits change, and caps saved tokens at the new burst', () => {
    let now = 0;
    const bucket = new TokenBucket({ rate: 1, burst: 10 }, () => now);
    bucket.setLimits({ rate: 4, burst: 2 });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 250]);
    now = 10_000;
    bucket.setLimits({ rate: 4, burst: 2 });
    expect(bucket.take()).toBe(0);
  });

  it('keeps 1,000 commands to the rate: the last one waits (n - burst) / rate', () => {
    const bucket = new TokenBucket({ rate: 5, burst: 20 }, () => 0);
    let last = 0;
    for (let i = 0; i < 1000; i++) last = bucket.take();
    expect(last).toBe(Math.ceil(((1000 - 20) * 1000) / 5));
  });
});
