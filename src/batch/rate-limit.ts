/**
 * Token buckets that keep b2 within a site's per-user command rate (Slurm's
 * rl_refill_rate / rl_bucket_size, a farm admin's patience): `burst` commands
 * may go at once, then `rate` per second. Pure: the caller supplies the time
 * and does the waiting, so the arithmetic is tested without a clock.
 */

export interface BucketLimits {
  /** Commands per second once the burst is spent; 0 or less: no limit. */
  readonly rate: number;
  /** Commands that may go at once after a quiet spell (at least 1). */
  readonly burst: number;
}

export interface BucketState {
  /** Tokens left at `at`; negative when callers already wait for tokens to come. */
  readonly tokens: number;
  readonly at: number;
}

export const fullBucket = (limits: BucketLimits, now: number): BucketState => ({ tokens: Math.max(1, limits.burst), at: now });

/**
 * Takes one token for a command about to run at `now`: how long it must wait
 * first, and the bucket after it. Callers that arrive together queue up, each
 * one 1/rate later than the one before.
 */
export const reserve = (state: BucketState, limits: BucketLimits, now: number): { readonly state: BucketState; readonly waitMs: number } => {
  if (!(limits.rate > 0)) return { state: { tokens: state.tokens, at: now }, waitMs: 0 };
  const burst = Math.max(1, limits.burst);
  const elapsed = Math.max(0, now - state.at);
  const tokens = Math.min(burst, state.tokens + (elapsed * limits.rate) / 1000) - 1;
  const waitMs = tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / limits.rate);
  return { state: { tokens, at: Math.max(now, state.at) }, waitMs };
};

/** A bucket with its state, for one class of commands; `now` is injectable for tests. */
export class TokenBucket {
  private state: BucketState;

  constructor(
    private limits: BucketLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.state = fullBucket(limits, now());
  }

  /** New limits (settings can differ per run); the tokens saved so far stay, up to the new burst. */
  setLimits(limits: BucketLimits): void {
    if (limits.rate === this.limits.rate && limits.burst === this.limits.burst) return;
    this.limits = limits;
    this.state = { tokens: Math.min(this.state.tokens, Math.max(1, limits.burst)), at: this.state.at };
  }

  /** Milliseconds to wait before the next command may run; the token is taken already. */
  take(): number {
    const { state, waitMs } = reserve(this.state, this.limits, this.now());
    this.state = state;
    return waitMs;
  }
}
