/**
 * The exit code of `b2 status`, so that scripts can ask "is this run fine?"
 * without parsing its text. Documented in the README.
 */
import type { Liveness } from '../journal/liveness.js';
import { phaseCounts, type RunState } from '../journal/state.js';

export const STATUS_EXIT = {
  /** The run succeeded, or its runner is alive (or on another host) and no task has failed. */
  fine: 0,
  /** Tasks failed, or the run ended without completing (interrupted, killed, stopped by bad input). */
  failed: 1,
  /** The runner died before the run ended: `b2 run` again takes it over. */
  runnerDied: 3,
} as const;

export const statusExitCode = (state: RunState, liveness: Liveness): number => {
  if (phaseCounts(state).failed > 0) return STATUS_EXIT.failed;
  switch (liveness.kind) {
    case 'finished':
      return liveness.exitCode === 0 ? STATUS_EXIT.fine : STATUS_EXIT.failed;
    case 'dead':
      return STATUS_EXIT.runnerDied;
    case 'alive':
    case 'elsewhere':
      return STATUS_EXIT.fine;
  }
};
