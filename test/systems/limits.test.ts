/** The site's array limits, from this machine's `scontrol show config` and `qconf -sconf`, and LSF's documented `bparams -a`. */
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ARRAY_SIZE, elementsPerArray, parseLsfLimits, parseSgeLimits, parseSlurmLimits } from '../../src/systems/limits.js';
import { capture } from './helpers.js';

describe('site limits', () => {
  it('Slurm: MaxArraySize 1001 allows indices 1-1000; MaxJobCount 10000', () => {
    const out = capture('slurm', 'scontrol-show-config');
    expect(parseSlurmLimits(out.stdout, out.stderr, out.exitCode)).toEqual({ maxArraySize: 1000, maxJobs: 10000 });
  });

  it('Grid Engine: max_aj_tasks 75000', () => {
    const out = capture('sge', 'qconf-sconf');
    expect(parseSgeLimits(out.stdout, out.stderr, out.exitCode)).toEqual({ maxArraySize: 75000 });
    expect(parseSgeLimits('max_aj_tasks                 0\n', '', 0)).toEqual({});
  });

  it('LSF: MAX_JOB_ARRAY_SIZE from bparams -a', () => {
    const text = 'System default queue parameters:\n        MAX_JOB_ARRAY_SIZE = 2000\n';
    expect(parseLsfLimits(text, '', 0)).toEqual({ maxArraySize: 2000 });
  });

  it('a failed command tells nothing', () => {
    expect(parseSlurmLimits('MaxArraySize = 5\n', 'error', 1)).toEqual({});
  });

  it('array_size, lowered to the site limits; the site limit, else 1000, without it', () => {
    expect(elementsPerArray(undefined, {})).toBe(DEFAULT_ARRAY_SIZE);
    expect(elementsPerArray(undefined, { maxArraySize: 75000 })).toBe(75000);
    expect(elementsPerArray(5000, { maxArraySize: 1000, maxJobs: 10000 })).toBe(1000);
    expect(elementsPerArray(50, { maxArraySize: 1000 })).toBe(50);
    expect(elementsPerArray(undefined, { maxArraySize: 4000, maxJobs: 300 })).toBe(300);
  });
});
