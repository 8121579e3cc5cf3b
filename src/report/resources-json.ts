/** What `b2 status --json` says of a task's attempts: their times, queue wait, and what each used. */
import type { TaskState } from '../journal/state.js';
import { queueWaitSeconds, type AttemptResources, type UnmeasuredAttempt } from '../run/resources.js';

const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

/** The record of the task's latest attempt, measured or not. */
const latestAttempt = (task: TaskState): AttemptResources | UnmeasuredAttempt | undefined =>
  [...(task.resources ?? []), ...(task.unmeasured ?? [])].filter((r) => r.attempt === task.attempt).at(-1);

export const timesJson = (task: TaskState) => {
  const latest = latestAttempt(task);
  const submittedAt = latest?.submittedAt ?? task.submittedAt;
  const wait = latest ? queueWaitSeconds(latest) : undefined;
  return {
    submittedAt: iso(submittedAt),
    startedAt: iso(latest?.startedAt),
    endedAt: iso(latest?.endedAt),
    ...(wait === undefined ? {} : { queueWaitSeconds: wait }),
    ...(task.resources ? { resources: task.resources } : {}),
    ...(task.unmeasured ? { unmeasured: task.unmeasured } : {}),
  };
};
