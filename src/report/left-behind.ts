/** What a runner that exits at once (a second Ctrl-C) leaves in the batch systems, and how to cancel it. */

const SHOWN_JOB_IDS = 20;

export const jobsLeftBehind = (runId: string, jobs: readonly { readonly system: string; readonly jobId: string }[]): string => {
  const bySystem = new Map<string, string[]>();
  for (const { system, jobId } of jobs) bySystem.set(system, [...(bySystem.get(system) ?? []), jobId]);
  const lists = [...bySystem].map(([system, ids]) => {
    const more = ids.length > SHOWN_JOB_IDS ? ` and ${ids.length - SHOWN_JOB_IDS} more` : '';
    return `\n  ${ids.length} ${system} job(s): ${ids.slice(0, SHOWN_JOB_IDS).join(' ')}${more}`;
  });
  // Jobs still being submitted have no id here yet; b2 kill finds them in their submit command's output.
  return `jobs of run ${runId} may still be queued or running:${lists.join('')}\nb2 kill ${runId} cancels them, and any whose submission was under way.`;
};
