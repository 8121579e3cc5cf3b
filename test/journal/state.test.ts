import { describe, expect, it } from '@jest/globals';
import type { JournalEntry, StampedEntry } from '../../src/journal/journal.js';
import { foldJournal } from '../../src/journal/state.js';

const stamped = (entries: JournalEntry[]): StampedEntry[] => entries.map((entry, t) => ({ ...entry, t }));
const task: JournalEntry = { type: 'task', id: 'A_1', family: 'A', params: {}, logDir: '/logs/A_1' };

describe('foldJournal: failure reasons', () => {
  it('keeps the reason of the failed attempt next to its message', () => {
    const state = foldJournal(
      stamped([task, { type: 'started', id: 'A_1', attempt: 1, system: 'slurm' }, { type: 'failed', id: 'A_1', attempt: 1, message: 'timed out', reason: 'timeout', final: true }]),
    );
    expect(state.tasks.get('A_1')).toMatchObject({ phase: 'failed', reason: 'timeout', message: 'timed out' });
  });

  it('drops the reason when the next attempt starts', () => {
    const state = foldJournal(
      stamped([
        task,
        { type: 'started', id: 'A_1', attempt: 1, system: 'local' },
        { type: 'failed', id: 'A_1', attempt: 1, message: 'killed', reason: 'signal', final: false },
        { type: 'started', id: 'A_1', attempt: 2, system: 'local' },
      ]),
    );
    expect(state.tasks.get('A_1')?.phase).toBe('running');
    expect(state.tasks.get('A_1')?.reason).toBeUndefined();
  });

  it('gives a cancelled task the reason cancelled, and none to a failure an older b2 journaled', () => {
    const cancelled = foldJournal(stamped([task, { type: 'started', id: 'A_1', attempt: 1, system: 'local' }, { type: 'cancelled', id: 'A_1', attempt: 1 }]));
    expect(cancelled.tasks.get('A_1')?.reason).toBe('cancelled');
    const old = foldJournal(stamped([task, { type: 'started', id: 'A_1', attempt: 1, system: 'local' }, { type: 'failed', id: 'A_1', attempt: 1, message: 'x', final: true }]));
    expect(old.tasks.get('A_1')?.reason).toBeUndefined();
  });
});

describe('foldJournal: resources', () => {
  const measured = (attempt: number, maxRssMb: number) =>
    ({ attempt, startedAt: 1000, endedAt: 3000, exitCode: 0, wallSeconds: 2, cpuSeconds: 1.5, maxRssMb, host: 'node1' }) as const;

  it('keeps one record per attempt, oldest first, and what is known of attempts that left no measurement', () => {
    const state = foldJournal(
      stamped([
        task,
        { type: 'submitted', id: 'A_1', attempt: 1, system: 'lsf', jobId: '7' },
        { type: 'resources', id: 'A_1', unmeasured: { attempt: 1, submittedAt: 1, endedAt: 9, reason: 'memory', requested: { memoryMb: 100 } } },
        { type: 'submitted', id: 'A_1', attempt: 2, system: 'lsf', jobId: '8' },
        { type: 'resources', id: 'A_1', measured: measured(2, 150) },
      ]),
    );
    const folded = state.tasks.get('A_1')!;
    expect(folded.resources).toEqual([measured(2, 150)]);
    expect(folded.unmeasured).toEqual([{ attempt: 1, submittedAt: 1, endedAt: 9, reason: 'memory', requested: { memoryMb: 100 } }]);
    expect(folded.submittedAt).toBe(3);
  });

  it('replaces the record of an attempt journaled again (a runner that took the run over judged it too)', () => {
    const state = foldJournal(stamped([task, { type: 'resources', id: 'A_1', measured: measured(1, 10) }, { type: 'resources', id: 'A_1', measured: measured(1, 20) }]));
    expect(state.tasks.get('A_1')!.resources).toEqual([measured(1, 20)]);
  });

  it('has no resources for a task never measured', () => {
    expect(foldJournal(stamped([task])).tasks.get('A_1')!.resources).toBeUndefined();
  });
});
