import { describe, expect, it } from '@jest/globals';
import { formatSuggestions, memorySetting, roundMemoryMb, roundWalltimeSeconds, suggest, walltimeSetting } from '../../src/report/suggest.js';
import { parseDuration, parseMemory } from '../../src/settings/values.js';
import { attempt, taskWith } from './fixtures.js';

/** n succeeded tasks of a family, the i-th peaking at (i+1) × peakStep MB and running (i+1) × wallStep s. */
const family = (name: string, n: number, peakStep: number, wallStep: number) =>
  Array.from({ length: n }, (_, i) =>
    taskWith(`${name}_${i}`, name, [attempt({ maxRssMb: (i + 1) * peakStep, wallSeconds: (i + 1) * wallStep, requested: { memoryMb: 4096, walltimeSeconds: 7200 } })]),
  );

describe('rounding', () => {
  it('memory: 128 MB steps up to 2 GB, 512 MB steps above, at least 128 MB', () => {
    expect([10, 129, 2048, 2049, 5000].map(roundMemoryMb)).toEqual([128, 256, 2048, 2560, 5120]);
  });

  it('walltime: whole minutes up to an hour, quarter hours above, at least a minute', () => {
    expect([1, 61, 3600, 3601, 5000].map(roundWalltimeSeconds)).toEqual([60, 120, 3600, 4500, 5400]);
  });

  it('writes values the settings read back', () => {
    for (const mb of [128, 1024, 2560, 3072]) expect(parseMemory(memorySetting(mb))).toBe(mb);
    for (const s of [60, 2820, 3600, 4500, 7200]) expect(parseDuration(walltimeSetting(s))).toBe(s);
  });
});

describe('suggest', () => {
  it('proposes p95 × 1.2 memory and p95 × 1.5 walltime, from succeeded attempts only', () => {
    // 20 tasks: p95 is the 19th: 1900 MB and 1900 s.
    const failed = taskWith('A_x', 'A', [attempt({ exitCode: 1, maxRssMb: 99_999, wallSeconds: 99_999 })], { phase: 'failed' });
    const result = suggest([...family('A', 20, 100, 100), failed]);
    expect(result.families).toEqual([
      {
        family: 'A',
        samples: 20,
        peakMbP95: 1900,
        wallSecondsP95: 1900,
        // 2280 MB -> 2560 MB; 2850 s -> 48 min
        memoryMb: 2560,
        memory: '2560MB',
        walltimeSeconds: 2880,
        walltime: '48m',
        requested: { memoryMb: 4096, walltimeSeconds: 7200 },
      },
    ]);
    expect(result.skipped).toEqual([]);
  });

  it('skips families with fewer than 5 succeeded attempts, and says so', () => {
    const result = suggest([...family('Few', 4, 100, 10), ...family('Many', 5, 800, 1000)]);
    expect(result.families.map((f) => f.family)).toEqual(['Many']);
    expect(result.skipped).toEqual([{ family: 'Few', samples: 4 }]);
    const text = formatSuggestions(result);
    expect(text).toContain("// Many: 5 attempts, peak memory p95 3.9 GB, wall time p95 1h 23m; asked for memory 4GB, walltime 2h 00m\nmemory = '5GB';\nwalltime = '135m';");
    expect(text).toContain('// too few succeeded attempts: Few (4)');
    expect(text).toContain('× 1.2');
    expect(text).toContain('× 1.5');
  });
});
