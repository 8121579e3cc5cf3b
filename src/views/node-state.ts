/**
 * What a picture shows of a task: one word per state, its colour, and which
 * state stands for a group of tasks (a family node shows its worst news).
 */
import type { TaskPhase } from '../journal/state.js';
import type { InitialState } from '../pipeline/graph.js';

export type NodeState =
  | 'complete'
  | 'succeeded'
  | 'running'
  /** Waiting for tasks it asked for while running. */
  | 'waiting'
  | 'queued'
  | 'retrying'
  | 'failed'
  | 'cancelled'
  | 'not-run'
  | 'pending'
  | 'missing-external';

export const NODE_COLOURS: Readonly<Record<NodeState, { readonly fill: string; readonly font: string }>> = {
  complete: { fill: '#c8e6c9', font: '#1b3a1d' },
  succeeded: { fill: '#43a047', font: '#ffffff' },
  running: { fill: '#1e88e5', font: '#ffffff' },
  waiting: { fill: '#7e57c2', font: '#ffffff' },
  queued: { fill: '#90caf9', font: '#0d2740' },
  retrying: { fill: '#fb8c00', font: '#ffffff' },
  failed: { fill: '#e53935', font: '#ffffff' },
  cancelled: { fill: '#757575', font: '#ffffff' },
  'not-run': { fill: '#e0e0e0', font: '#424242' },
  pending: { fill: '#ffffff', font: '#212121' },
  'missing-external': { fill: '#ffe082', font: '#3e2c00' },
};

// Most urgent first: a family with one failed task shows as failed.
const URGENCY: readonly NodeState[] = ['failed', 'missing-external', 'retrying', 'running', 'waiting', 'queued', 'cancelled', 'pending', 'not-run', 'succeeded', 'complete'];

export const worstState = (states: Iterable<NodeState>): NodeState => {
  let best = URGENCY.length - 1;
  for (const state of states) best = Math.min(best, URGENCY.indexOf(state));
  return URGENCY[best]!;
};

export const phaseState = (phase: TaskPhase): NodeState => {
  switch (phase) {
    case 'running':
      return 'running';
    case 'submitting':
    case 'submitted':
      return 'queued';
    case 'succeeded':
      return 'succeeded';
    case 'retrying':
      return 'retrying';
    case 'waiting':
      return 'waiting';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    case 'not-run':
      return 'not-run';
  }
};

/** A task the run never touched: complete before it, or waiting (not run, once the run is over). */
export const untouchedState = (initial: InitialState, runOver: boolean): NodeState =>
  initial === 'complete' ? 'complete' : initial === 'missing-external' ? 'missing-external' : runOver ? 'not-run' : 'pending';
