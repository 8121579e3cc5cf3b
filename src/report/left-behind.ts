/** What a runner that exits at once (a second Ctrl-C) leaves in the batch systems, and how to cancel it. */

const SHOWN_JOB_IDS = 20;

export const jobsLeftBehind = (
  runId: string,
  jobs: readonly { readonly system: string; readonly jobId: string }[],
  /** Jobs whose submit command had not answered yet: no id here, but b2 kill finds it in the command's output. */
  beingSubmitted = 0,
): string => {
  const bySystem = new Map<string, string[]>();
  for (const { system, jobId } of jobs) bySystem.set(system, [...(bySystem.get(system) ?? []), jobId]);
  const lines = [...bySystem].map(([system, ids]) => {
    const more = ids.length > SHOWN_JOB_IDS ? ` and ${ids.length - SHOWN_JOB_IDS} more` : '';
    return `  ${ids.length} ${system} job(s): ${ids.slice(0, SHOWN_JOB_IDS).join(' ')}${more}`;
  });
  if (beingSubmitted > 0) lines.push(`  ${beingSubmitted} job(s) whose submission was under way`);
  return [`jobs of run ${runId} may still be queued or running:`, ...lines, `b2 kill ${runId} cancels them.`].join('\n');
};
