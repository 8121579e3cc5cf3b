import { describe, expect, it } from '@jest/globals';
import { jobsLeftBehind } from '../../src/report/left-behind.js';

describe('jobsLeftBehind', () => {
  it('lists the job ids per system, the first 20 of each, and how to cancel them', () => {
    const condor = Array.from({ length: 23 }, (_, i) => ({ system: 'htcondor', jobId: `${100 + i}.0` }));
    const text = jobsLeftBehind('20261202-120000000-abc123', [...condor, { system: 'slurm', jobId: '77' }], 2);
    expect(text.split('\n')).toEqual([
      'jobs of run 20261202-120000000-abc123 may still be queued or running:',
      `  23 htcondor job(s): ${condor.slice(0, 20).map((j) => j.jobId).join(' ')} and 3 more`,
      '  1 slurm job(s): 77',
      '  2 job(s) whose submission was under way',
      'b2 kill 20261202-120000000-abc123 cancels them.',
    ]);
  });

  it('still says how to cancel when no job id is known yet', () => {
    expect(jobsLeftBehind('r1', [], 3)).toBe('jobs of run r1 may still be queued or running:\n  3 job(s) whose submission was under way\nb2 kill r1 cancels them.');
  });
});
