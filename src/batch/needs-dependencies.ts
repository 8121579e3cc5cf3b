/**
 * A job that ended with the "needs dependencies" status (see
 * pipeline/dynamic.ts): the tasks it asked for, from the list it left next
 * to its exit-status file, as the outcome the driver acts on. A job that
 * exits with that status but leaves no readable list failed: it is no
 * request of b2's.
 */
import { NEEDS_DEPENDENCIES_STATUS } from '../pipeline/dynamic.js';
import { readRequestedRecord } from '../pipeline/dynamic-record.js';
import { jobFilesIn } from '../run/layout.js';
import type { TaskJob, TaskOutcome } from '../executors/executor.js';

/** `jobId`: the batch job's, absent for a task run locally (in a container). */
export const neededDependencies = (job: TaskJob, jobId?: string): TaskOutcome => {
  const file = jobFilesIn(job.logs.dir).requested;
  const read = readRequestedRecord(file, job.task.taskId);
  if ('tasks' in read) {
    return { index: job.index, ok: false, reason: 'exit', message: `asked for ${read.tasks.length} task(s) not complete yet`, exitCode: NEEDS_DEPENDENCIES_STATUS, requested: read.tasks, ...(jobId === undefined ? {} : { jobId }) };
  }
  return {
    index: job.index,
    ok: false,
    reason: 'exit',
    ...(jobId === undefined ? {} : { jobId }),
    exitCode: NEEDS_DEPENDENCIES_STATUS,
    message: `the task exited with code ${NEEDS_DEPENDENCIES_STATUS}, b2's "needs dependencies" status, but its list of requested tasks ${file} is unusable: ${read.error}`,
  };
};
