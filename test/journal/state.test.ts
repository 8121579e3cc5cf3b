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
