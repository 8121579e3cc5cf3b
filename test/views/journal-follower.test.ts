import { describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JournalFollower } from '../../src/views/journal-follower.js';

const line = (entry: object): string => `${JSON.stringify(entry)}\n`;

describe('JournalFollower', () => {
  it('reads only what was appended, and a line only once its newline is written', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'b2-follow-')), 'journal.jsonl');
    const follower = new JournalFollower(file);
    expect(follower.poll()).toBe(false);
    writeFileSync(file, line({ t: 1, type: 'not-run', ids: ['a'] }));
    expect(follower.poll()).toBe(true);
    expect(follower.entries).toHaveLength(1);
    expect(follower.poll()).toBe(false);
    const second = line({ t: 2, type: 'not-run', ids: ['b'] });
    appendFileSync(file, second.slice(0, 10));
    expect(follower.poll()).toBe(false);
    appendFileSync(file, second.slice(10));
    expect(follower.poll()).toBe(true);
    expect(follower.entries.map((e) => e.t)).toEqual([1, 2]);
  });

  it('skips a torn line between whole ones, and starts over when the file is replaced by a shorter one', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'b2-follow-')), 'journal.jsonl');
    writeFileSync(file, `${line({ t: 1, type: 'adopted', fromRun: 'x', jobs: 0 })}{"t":2,"ty\n${line({ t: 3, type: 'adopted', fromRun: 'y', jobs: 0 })}`);
    const follower = new JournalFollower(file);
    follower.poll();
    expect(follower.entries.map((e) => e.t)).toEqual([1, 3]);
    writeFileSync(file, line({ t: 9, type: 'adopted', fromRun: 'z', jobs: 0 }));
    expect(follower.poll()).toBe(true);
    expect(follower.entries.map((e) => e.t)).toEqual([9]);
  });
});
