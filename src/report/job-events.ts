/** What the batch wing's events say to the user, one message each (undefined: nothing to say). */
import type { JobEvent } from '../scheduler/events.js';

/** `describe` names a task by its node index. */
export const jobEventText = (event: JobEvent, describe: (index: number) => string): string | undefined => {
  switch (event.type) {
    case 'job-submit-intent':
    case 'job-submitted':
    case 'job-submit-failed':
      // Routine, or said when the task fails: a retry or the failure summary names the cause.
      return undefined;
    case 'submit-group-split':
      return `a submit command for ${event.size} ${event.system} jobs ${event.named > 0 ? `submitted only ${event.named}` : 'failed'}; submitting the other ${event.alone} one by one:\n${event.error}`;
    case 'submit-backoff':
      return `submitting to ${event.system} failed for a passing reason (${describe(event.index)}, try ${event.tries} of ${event.of}); trying again in ${Math.round(event.delayMs / 1000)} s:\n${event.error}`;
    case 'array-submit-failed':
      return `submitting to ${event.system} failed for a passing reason (an array of ${event.size} task(s), try ${event.tries} of ${event.of}); trying ${event.again} again in ${Math.round(event.delayMs / 1000)} s:\n${event.error}`;
    case 'submit-outcome-resolved':
      return resolvedText(event, describe);
    case 'submit-outcome-unknown':
      return `could not ask ${event.system} which jobs of the run exist:\n${event.error}`;
    case 'status-query-failed':
      return event.retry === undefined
        ? `status query to ${event.system} failed: ${event.error}`
        : `status query to ${event.system} failed (${event.retry.failures}x), retrying in ${Math.round(event.retry.delayMs / 1000)} s:\n${event.error}`;
    case 'jobs-cancelled':
      return cancelledText(event);
    case 'unnamed-jobs-unknown':
      return `could not ask ${event.system} for jobs of the run that a submit command left unnamed; b2 kill ${event.runId} cancels them:\n${event.error}`;
    case 'adopted-job-cancelled':
      return `${event.system} job ${event.jobId} of ${describe(event.index)} was cancelled while no runner watched it: submitting it again`;
    case 'outside-tasks-closed':
      return outsideText(event);
    case 'resources-escalated':
      return escalatedText(event, describe);
  }
};

const escalatedText = (event: Extract<JobEvent, { type: 'resources-escalated' }>, describe: (index: number) => string): string => {
  const more = [
    ...(event.memoryMb ? [`memory ${event.memoryMb.to} MB (was ${event.memoryMb.from} MB)`] : []),
    ...(event.walltimeSeconds ? [`walltime ${event.walltimeSeconds.to} s (was ${event.walltimeSeconds.from} s)`] : []),
  ];
  return `${describe(event.index)} ran out of ${event.ranOutOf}: a retry asks for ${more.join(', ')} (escalate_resources)`;
};

const resolvedText = (event: Extract<JobEvent, { type: 'submit-outcome-resolved' }>, describe: (index: number) => string): string | undefined => {
  const lines = event.ran.map(
    ({ index, exitStatus }) => `the ${event.system} job of ${describe(index)}, whose submit command gave no answer, already ran (exit status ${exitStatus})`,
  );
  if (event.found.length > 0) {
    lines.push(`found ${event.found.length} ${event.system} job(s) whose submit command gave no answer: ${event.found.join(' ')}; watching them instead of submitting again`);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
};

const cancelledText = ({ system, jobIds, why }: Extract<JobEvent, { type: 'jobs-cancelled' }>): string => {
  const ids = jobIds.join(' ');
  switch (why) {
    case 'run-stopped':
      return `cancelling ${jobIds.length} ${system} job(s): ${ids}`;
    case 'duplicate':
      return `cancelling ${jobIds.length} extra ${system} job(s) of tasks that already have one: ${ids}`;
    case 'unnamed':
      return `cancelled ${jobIds.length} ${system} job(s) of the run that no submit command named: ${ids}`;
  }
};

const outsideText = ({ tasks, cancelledJobs }: Extract<JobEvent, { type: 'outside-tasks-closed' }>): string | undefined => {
  if (tasks.length === 0) return undefined;
  const succeeded = tasks.filter((task) => task.outcome === 'succeeded').length;
  const ids = cancelledJobs.map(({ system, jobIds }) => `${system} ${jobIds.join(' ')}`).join('; ');
  return (
    `${tasks.length} task(s) of the run were in flight but are not among this run's tasks: ${succeeded} had succeeded; ` +
    `${tasks.length - succeeded} cancelled${ids ? ` (jobs ${ids})` : ''}; run their pipeline targets again to submit them.`
  );
};
