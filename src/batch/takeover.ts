/**
 * Taking over a dead run for other tasks than it was started for: the tasks
 * it had in flight that this run's graph does not hold would stay in flight
 * in its journal forever, their jobs watched by no one (and a later run of
 * them would submit them a second time). Their jobs are cancelled and each is
 * journaled as it ended: succeeded when its job recorded exit status 0, else
 * cancelled; a later run of them submits what is not complete.
 */
import type { BatchSystemName } from '../systems/registry.js';
import type { JournalEntry, JournalWriter } from '../journal/journal.js';
import { exitStatusIn, type ResumePlan } from '../journal/resume.js';
import { cancelJobs } from './client.js';

/** Cancels and journals the dead run's tasks outside this graph; what was done, for the user, or undefined. */
export const closeTasksOutsideGraph = async (plan: Pick<ResumePlan, 'outside'>, journal: JournalWriter): Promise<string | undefined> => {
  if (plan.outside.length === 0) return undefined;
  const toCancel = new Map<BatchSystemName, string[]>();
  const entries: JournalEntry[] = [];
  let succeeded = 0;
  for (const { task, system, jobId } of plan.outside) {
    if (task.logDir && exitStatusIn(task.logDir) === 0 && (jobId || task.phase === 'running')) {
      entries.push({ type: 'succeeded', id: task.id, attempt: task.attempt });
      succeeded++;
      continue;
    }
    if (system && jobId) toCancel.set(system, [...(toCancel.get(system) ?? []), jobId]);
    entries.push({ type: 'cancelled', id: task.id, attempt: task.attempt, ...(jobId ? { jobId } : {}) });
  }
  for (const [system, ids] of toCancel) await cancelJobs(system, ids);
  entries.forEach((entry, index) => journal.append(entry, index === entries.length - 1));
  const cancelled = plan.outside.length - succeeded;
  const ids = [...toCancel].map(([system, list]) => `${system} ${list.join(' ')}`).join('; ');
  return `${plan.outside.length} task(s) of the run were in flight but are not among this run's tasks: ${succeeded} had succeeded; ${cancelled} cancelled${ids ? ` (jobs ${ids})` : ''}; run their pipeline targets again to submit them.`;
};
