/** The terminal view's model, without a clock: durations, ETA from the completion rate, bars, family rows. */
import { describe, expect, it } from '@jest/globals';
import { CompletionRate, familyRowCount, familyRows, familyRowText, formatDuration, progressBar, timeText, type FamilyCounts } from '../../src/report/run-view-model.js';

const MINUTE = 60_000;

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [950, '950 ms'],
    [12_400, '12 s'],
    [4 * MINUTE + 5_000, '4m05s'],
    [2 * 60 * MINUTE + 3 * MINUTE, '2h03m'],
    [(3 * 24 + 4) * 60 * MINUTE, '3d04h'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('the ETA from the completion rate', () => {
  it('is unknown until a task has settled, and zero when all have', () => {
    const rate = new CompletionRate(0);
    expect(rate.etaMs(10_000, 0, 100)).toBeUndefined();
    rate.record(20_000, 100);
    expect(rate.etaMs(20_000, 100, 100)).toBe(0);
  });

  it('extrapolates the rate since the start while the run is younger than the window', () => {
    const rate = new CompletionRate(1_000);
    rate.record(11_000, 10);
    // 10 tasks in 10 s: 90 more take 90 s.
    expect(rate.etaMs(11_000, 10, 100)).toBeCloseTo(90_000);
  });

  it('follows the recent rate once the run is older than the window', () => {
    const rate = new CompletionRate(0, 5 * MINUTE);
    // Slow at first: 10 tasks in the first 10 minutes ...
    rate.record(10 * MINUTE, 10);
    // ... then 50 in the last 5 minutes.
    rate.record(12 * MINUTE, 30);
    rate.record(15 * MINUTE, 60);
    expect(rate.etaMs(15 * MINUTE, 60, 160)).toBeCloseTo((100 / 50) * 5 * MINUTE);
  });

  it('keeps a sample a second at most, however many tasks settle, and still follows the recent rate', () => {
    const rate = new CompletionRate(0, 5 * MINUTE);
    // 200,000 packed tasks settling over 10 minutes, one at a time: 1 every 3 ms.
    for (let done = 1; done <= 200_000; done++) rate.record(done * 3, done);
    expect(rate.size).toBeLessThanOrEqual(5 * 60 + 2);
    // The last 5 minutes settled 100,000: the next 100,000 take 5 minutes.
    expect(rate.etaMs(600_000, 200_000, 300_000)! / MINUTE).toBeCloseTo(5, 1);
  });

  it('falls back to the rate since the start when nothing settled within the window (long jobs)', () => {
    const rate = new CompletionRate(0, 5 * MINUTE);
    rate.record(60 * MINUTE, 10);
    // 10 tasks in 80 minutes, none in the last 20: 10 more take 80 minutes.
    expect(rate.etaMs(80 * MINUTE, 10, 20)).toBeCloseTo(80 * MINUTE);
  });
});

describe('the bar', () => {
  it('fills the settled share of its width', () => {
    expect(progressBar(0, 10, 10)).toBe('░'.repeat(10));
    expect(progressBar(5, 10, 10)).toBe('█'.repeat(5) + '░'.repeat(5));
    expect(progressBar(99, 100, 10)).toBe('█'.repeat(9) + '░');
    expect(progressBar(10, 10, 10)).toBe('█'.repeat(10));
    expect(progressBar(0, 0, 4)).toBe('████');
  });
});

describe('the family rows', () => {
  const family = (name: string, total: number, done: number, running: number, failed = 0): FamilyCounts => ({ family: name, total, done, running, failed });

  it('show the busiest families first: most running, then most left to do', () => {
    const { rows, more } = familyRows([family('Done', 10, 10, 0), family('Idle', 50, 0, 0), family('Busy', 20, 5, 8), family('Busier', 20, 5, 9)]);
    expect(rows.map((row) => row.family)).toEqual(['Busier', 'Busy', 'Idle', 'Done']);
    expect(more).toBeUndefined();
  });

  it('stay bounded with thousands of families: the rest in one row', () => {
    const families = Array.from({ length: 5000 }, (_, i) => family(`F${i}`, 2, 1, i % 3 === 0 ? 1 : 0, i % 7 === 0 ? 1 : 0));
    const { rows, more } = familyRows(families, 8);
    expect(rows).toHaveLength(8);
    expect(rows.every((row) => row.running === 1)).toBe(true);
    expect(more).toMatchObject({ family: '4992 more families', count: 4992, total: 2 * 4992 });
    expect(more!.running + rows.reduce((n, row) => n + row.running, 0)).toBe(families.filter((f) => f.running === 1).length);
    expect(familyRowCount(5000, 8)).toBe(9);
    expect(familyRowCount(3, 8)).toBe(3);
  });

  it('read as name, bar, counts', () => {
    expect(familyRowText(family('Piece', 100, 40, 12, 1), 8, 10)).toBe(`Piece    ${'█'.repeat(4)}${'░'.repeat(6)} 40/100 · 12 running · 1 failed`);
    expect(familyRowText(family('Merge', 4, 0, 0), 5, 4)).toBe('Merge ░░░░ 0/4');
  });
});

describe('the time text', () => {
  it('says the elapsed time and the ETA, unknown as a dash', () => {
    expect(timeText(65_000, 130_000)).toBe('elapsed 1m05s · ETA 2m10s');
    expect(timeText(3_000, undefined)).toBe('elapsed 3 s · ETA –');
  });
});
