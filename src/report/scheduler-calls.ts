/**
 * The line a batch run ends with: what it cost the scheduler, per command
 * and per task, so a user can compare runs and tools (and tell the admin).
 */
import { totalCalls, type CallTally } from '../batch/scheduler-calls.js';

/** "3 sbatch, 12 squeue, 1 sacct = 16 calls, 0.0080 per task" (tasks: the tasks the run set out to run). */
export const formatSchedulerCalls = (tally: CallTally, tasks: number): string | undefined => {
  const total = totalCalls(tally);
  if (total === 0) return undefined;
  const parts = Object.entries(tally).map(([tool, n]) => `${n} ${tool}`);
  const perTask = tasks > 0 ? `, ${(total / tasks).toFixed(4)} per task` : '';
  return `scheduler calls: ${parts.join(', ')} = ${total} call${total === 1 ? '' : 's'}${perTask}`;
};
