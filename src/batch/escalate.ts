/**
 * Escalation: a task whose job ran out of memory (or walltime) is retried
 * with more (settings escalate_resources, a factor, and
 * escalate_resources_max, a cap as a multiple of the setting). Off with a
 * factor of 1, the default. Pure.
 */
import type { FailureReason } from '../run/failure.js';

/** How many of a task's attempts ran out of memory, and of walltime. */
export interface RanOut {
  readonly memory: number;
  readonly walltime: number;
}

export const NONE: RanOut = { memory: 0, walltime: 0 };

/** A failure counts towards escalating what it ran out of. */
export const ranOutAfter = (before: RanOut, reason: FailureReason): RanOut =>
  reason === 'memory' ? { ...before, memory: before.memory + 1 } : reason === 'timeout' ? { ...before, walltime: before.walltime + 1 } : before;

/** What a task's earlier attempts (of a dead runner of the run) ran out of, from their records. */
export const ranOutSoFar = (records: readonly { readonly reason: FailureReason }[] | undefined): RanOut =>
  (records ?? []).reduce((ranOut, record) => ranOutAfter(ranOut, record.reason), NONE);

/** The multiples of memory and walltime the next job asks for: factor^times, at most max. */
export const escalation = (ranOut: RanOut, factor: number, max: number): { readonly memory: number; readonly walltime: number } => {
  const scale = (times: number): number => (factor <= 1 || times === 0 ? 1 : Math.min(max, factor ** times));
  return { memory: scale(ranOut.memory), walltime: scale(ranOut.walltime) };
};
