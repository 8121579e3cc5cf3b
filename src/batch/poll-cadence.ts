/**
 * How long to wait before asking a batch system's queue again. Exit files
 * settle most jobs; the queue is the fallback that notices jobs dying without
 * one. While jobs finish, ask often (the floor, `poll_interval_min`); while
 * nothing changes, ask less and less often, up to the cap (`poll_interval`).
 * A change brings the floor back. Pure, so it is tested without a clock.
 */

export interface CadenceLimits {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Each quiet answer stretches the wait by this much (1.5: the cap of 10 s from 1 s in 6 answers). */
export const CADENCE_GROWTH = 1.5;

/** Floor and cap from the settings; a floor above the cap is the cap. */
export const cadenceLimits = (pollIntervalMinSeconds: number, pollIntervalSeconds: number): CadenceLimits => {
  const maxMs = pollIntervalSeconds * 1000;
  return { minMs: Math.min(pollIntervalMinSeconds * 1000, maxMs), maxMs };
};

/**
 * The wait after an answer: the floor when the jobs moved on since the answer
 * before (`progressed`: one finished, started or changed state, or wrote its
 * exit file), else the previous wait grown by CADENCE_GROWTH, up to the cap.
 */
export const nextPollDelay = (previousMs: number | undefined, progressed: boolean, limits: CadenceLimits): number => {
  if (previousMs === undefined || progressed) return limits.minMs;
  return Math.min(limits.maxMs, Math.max(limits.minMs, previousMs * CADENCE_GROWTH));
};
