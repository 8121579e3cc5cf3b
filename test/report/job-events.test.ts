/** What the batch wing's events say to the user: as informative as the messages they replaced. */
import { describe, expect, it } from '@jest/globals';
import { jobEventText } from '../../src/report/job-events.js';
import type { JobEvent } from '../../src/scheduler/events.js';

const describeTask = (index: number): string => `Piece(k=${index})`;
const text = (event: JobEvent): string | undefined => jobEventText(event, describeTask);

describe('job event texts', () => {
  it('say nothing of routine submissions: a failure or a retry names the cause', () => {
    expect(text({ type: 'job-submit-intent', system: 'slurm', jobs: [{ index: 0, attempt: 1 }] })).toBeUndefined();
    expect(text({ type: 'job-submitted', system: 'slurm', jobs: [{ index: 0, attempt: 1, jobId: '7' }], how: 'submitted' })).toBeUndefined();
    expect(text({ type: 'job-submit-failed', system: 'slurm', jobs: [{ index: 0, attempt: 1 }], error: 'e' })).toBeUndefined();
  });

  it('say how a group submission split, and why', () => {
    expect(text({ type: 'submit-group-split', system: 'htcondor', size: 10, named: 0, alone: 10, error: 'exit code 1' })).toBe(
      'a submit command for 10 htcondor jobs failed; submitting the other 10 one by one:\nexit code 1',
    );
    expect(text({ type: 'submit-group-split', system: 'htcondor', size: 10, named: 4, alone: 6, error: 'timed out' })).toBe(
      'a submit command for 10 htcondor jobs submitted only 4; submitting the other 6 one by one:\ntimed out',
    );
  });

  it('say which submission waits for another try after a passing failure, which try it was, and for how long', () => {
    expect(text({ type: 'submit-backoff', system: 'slurm', index: 4, tries: 2, of: 7, delayMs: 3400, error: 'Socket timed out' })).toBe(
      'submitting to slurm failed for a passing reason (Piece(k=4), try 2 of 7); trying again in 3 s:\nSocket timed out',
    );
    expect(text({ type: 'array-submit-failed', system: 'slurm', size: 50, again: 50, tries: 1, of: 7, delayMs: 2100, error: 'Socket timed out' })).toBe(
      'submitting to slurm failed for a passing reason (an array of 50 task(s), try 1 of 7); trying 50 again in 2 s:\nSocket timed out',
    );
  });

  it('name the jobs found and the tasks whose jobs already ran after a submit command gave no answer', () => {
    expect(text({ type: 'submit-outcome-resolved', system: 'lsf', found: ['12', '13'], ran: [{ index: 3, exitStatus: 1 }] })).toBe(
      'the lsf job of Piece(k=3), whose submit command gave no answer, already ran (exit status 1)\n' +
        'found 2 lsf job(s) whose submit command gave no answer: 12 13; watching them instead of submitting again',
    );
    expect(text({ type: 'submit-outcome-resolved', system: 'lsf', found: [], ran: [] })).toBeUndefined();
    expect(text({ type: 'submit-outcome-unknown', system: 'sge', error: 'qstat: timed out' })).toBe('could not ask sge which jobs of the run exist:\nqstat: timed out');
  });

  it('say a status query failed, with the count and the delay when it backs off', () => {
    expect(text({ type: 'status-query-failed', system: 'slurm', error: 'squeue: error', retry: { failures: 10, delayMs: 60_400 } })).toBe(
      'status query to slurm failed (10x), retrying in 60 s:\nsqueue: error',
    );
    expect(text({ type: 'status-query-failed', system: 'slurm', error: 'boom' })).toBe('status query to slurm failed: boom');
  });

  it('name the jobs cancelled, and why', () => {
    expect(text({ type: 'jobs-cancelled', system: 'htcondor', jobIds: ['1.0', '2.0'], why: 'run-stopped' })).toBe('cancelling 2 htcondor job(s): 1.0 2.0');
    expect(text({ type: 'jobs-cancelled', system: 'slurm', jobIds: ['9'], why: 'duplicate' })).toBe('cancelling 1 extra slurm job(s) of tasks that already have one: 9');
    expect(text({ type: 'jobs-cancelled', system: 'slurm', jobIds: ['9', '10'], why: 'unnamed' })).toBe('cancelled 2 slurm job(s) of the run that no submit command named: 9 10');
    expect(text({ type: 'unnamed-jobs-unknown', system: 'pbs', runId: '20261207-1', error: 'qstat: down' })).toBe(
      'could not ask pbs for jobs of the run that a submit command left unnamed; b2 kill 20261207-1 cancels them:\nqstat: down',
    );
    expect(text({ type: 'adopted-job-cancelled', index: 2, system: 'lsf', jobId: '44' })).toBe('lsf job 44 of Piece(k=2) was cancelled while no runner watched it: submitting it again');
  });

  it('count the tasks of a taken-over run closed outside the graph, with the jobs cancelled', () => {
    expect(
      text({
        type: 'outside-tasks-closed',
        tasks: [
          { id: 'a', attempt: 1, outcome: 'succeeded' },
          { id: 'b', attempt: 1, outcome: 'cancelled', jobId: '5.0' },
          { id: 'c', attempt: 1, outcome: 'cancelled', jobId: '6.0' },
        ],
        cancelledJobs: [{ system: 'htcondor', jobIds: ['5.0', '6.0'] }],
      }),
    ).toBe("3 task(s) of the run were in flight but are not among this run's tasks: 1 had succeeded; 2 cancelled (jobs htcondor 5.0 6.0); run their pipeline targets again to submit them.");
  });

  it('say what a retry of a task that ran out of memory or walltime asks for (escalate_resources)', () => {
    expect(text({ type: 'resources-escalated', index: 2, ranOutOf: 'memory', memoryMb: { from: 2048, to: 4096 } })).toBe(
      'Piece(k=2) ran out of memory: a retry asks for memory 4096 MB (was 2048 MB) (escalate_resources)',
    );
    expect(text({ type: 'resources-escalated', index: 2, ranOutOf: 'walltime', walltimeSeconds: { from: 60, to: 180 } })).toBe(
      'Piece(k=2) ran out of walltime: a retry asks for walltime 180 s (was 60 s) (escalate_resources)',
    );
  });
});
