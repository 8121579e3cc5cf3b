/**
 * Taking over a dead run for other tasks than it was started for: the tasks
 * it had in flight that this run's graph does not hold would stay in flight
 * in its journal forever, their jobs watched by no one (and a later run of
 * them would submit them a second time). Their jobs are cancelled and each is
 * closed as it ended: succeeded when its job recorded exit status 0, else
 * cancelled; a later run of them submits what is not complete.
 */
import type { BatchSystemName } from '../systems/registry.js';
import { exitStatusIn, type ResumePlan } from '../journal/resume.js';
import type { JobEvent, OutsideTask } from '../scheduler/events.js';
import { cancelJobs } from './client.js';

type OutsideTasksClosed = Extract<JobEvent, { type: 'outside-tasks-closed' }>;

/** Cancels the dead run's jobs of tasks outside this graph; the event that closes those tasks, or undefined if there are none. */
export const closeTasksOutsideGraph = async (plan: Pick<ResumePlan, 'outside'>): Promise<OutsideTasksClosed | undefined> => {
  if (plan.outside.length === 0) return undefined;
  const toCancel = new Map<BatchSystemName, string[]>();
  const tasks: OutsideTask[] = [];
  for (const { task, system, jobId } of plan.outside) {
    if (task.logDir && exitStatusIn(task.logDir) === 0 && (jobId || task.phase === 'running')) {
      tasks.push({ id: task.id, attempt: task.attempt, outcome: 'succeeded' });
      continue;
    }
    if (system && jobId) toCancel.set(system, [...(toCancel.get(system) ?? []), jobId]);
    tasks.push({ id: task.id, attempt: task.attempt, outcome: 'cancelled', ...(jobId ? { jobId } : {}) });
  }
  for (const [system, ids] of toCancel) await cancelJobs(system, ids);
  return { type: 'outside-tasks-closed', tasks, cancelledJobs: [...toCancel].map(([system, jobIds]) => ({ system, jobIds })) };
};
