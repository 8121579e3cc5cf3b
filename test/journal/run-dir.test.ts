import { describe, expect, it } from '@jest/globals';
import { newRunId } from '../../src/journal/run-dir.js';

describe('run ids', () => {
  it('sort by start time to the millisecond', () => {
    const first = newRunId(new Date('2026-11-25T00:20:04.123Z'));
    const second = newRunId(new Date('2026-11-25T00:20:04.124Z'));
    expect(first).toMatch(/^20261125-002004123-[0-9a-f]{6}$/);
    // Whatever the random suffixes: the later run sorts last.
    for (let n = 0; n < 20; n++) expect([newRunId(new Date('2026-11-25T00:20:04.124Z')), first].sort()[1]).not.toBe(first);
    expect([second, first].sort()).toEqual([first, second]);
  });
});
