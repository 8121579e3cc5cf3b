/** Which batch command is which kind of scheduler call, the tally, and the run's report line. */
import { describe, expect, it } from '@jest/globals';
import { CallCounter, commandKind, totalCalls } from '../../src/batch/scheduler-calls.js';
import { formatSchedulerCalls } from '../../src/report/scheduler-calls.js';

describe('commandKind', () => {
  it('names the tool and its kind, also behind a path or a site wrapper', () => {
    expect(commandKind(['sbatch', '--parsable', 'job.sh'])).toEqual({ tool: 'sbatch', kind: 'submit' });
    expect(commandKind(['/opt/slurm/bin/squeue', '-h'])).toEqual({ tool: 'squeue', kind: 'query' });
    expect(commandKind(['ssh', 'login1', 'condor_history', '-json'])).toEqual({ tool: 'condor_history', kind: 'history' });
    expect(commandKind(['bkill', '12'])).toEqual({ tool: 'bkill', kind: 'kill' });
    expect(commandKind(['qconf', '-sconf'])).toEqual({ tool: 'qconf', kind: 'probe' });
  });

  it('tells scontrol show job (a query) from scontrol show config (a probe)', () => {
    expect(commandKind(['scontrol', 'show', 'job', '-o', '12'])).toEqual({ tool: 'scontrol', kind: 'query' });
    expect(commandKind(['scontrol', 'show', 'config'])).toEqual({ tool: 'scontrol', kind: 'probe' });
  });

  it('counts an unknown command as a probe under its own name', () => {
    expect(commandKind(['/usr/local/bin/site-tool', 'x'])).toEqual({ tool: 'site-tool', kind: 'probe' });
  });
});

describe('the tally and its line', () => {
  it('counts per command in the order first used and reports calls per task', () => {
    const counter = new CallCounter();
    for (const tool of ['sbatch', 'squeue', 'squeue', 'sbatch', 'sacct', 'squeue']) counter.count(tool);
    expect(counter.tally()).toEqual({ sbatch: 2, squeue: 3, sacct: 1 });
    expect(totalCalls(counter.tally())).toBe(6);
    expect(formatSchedulerCalls(counter.tally(), 800)).toBe('scheduler calls: 2 sbatch, 3 squeue, 1 sacct = 6 calls, 0.0075 per task');
    counter.reset();
    expect(formatSchedulerCalls(counter.tally(), 800)).toBeUndefined();
  });

  it('leaves out calls per task when there were no tasks to run', () => {
    expect(formatSchedulerCalls({ condor_q: 1 }, 0)).toBe('scheduler calls: 1 condor_q = 1 call');
  });
});
