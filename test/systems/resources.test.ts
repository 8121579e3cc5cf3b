import { describe, expect, it } from '@jest/globals';
import { checkResources, chunk, clockTime, command, outputSummary, wholeMinutes } from '../../src/systems/resources.js';
import { thrownBy } from './helpers.js';

describe('checkResources', () => {
  it('rounds memory and walltime up to whole units and keeps what is unset unset', () => {
    expect(checkResources({ cpus: 2, memoryMb: 100.2, walltimeSeconds: 59.5, queue: 'q' })).toEqual({
      cpus: 2,
      memoryMb: 101,
      walltimeSeconds: 60,
      queue: 'q',
    });
    expect(checkResources({})).toEqual({});
  });

  it.each([
    [{ cpus: 0 }, 'cpus'],
    [{ cpus: 2.5 }, 'cpus'],
    [{ memoryMb: 0 }, 'memory'],
    [{ memoryMb: Number.NaN }, 'memory'],
    [{ walltimeSeconds: -5 }, 'walltime'],
    [{ walltimeSeconds: Number.POSITIVE_INFINITY }, 'walltime'],
    [{ queue: ' ' }, 'queue'],
    [{ queue: 'a\nb' }, 'queue'],
  ])('rejects %j', (resources, mentioned) => {
    const error = thrownBy(() => checkResources(resources));
    expect(error.reason).toBe('bad-batch-settings');
    expect(error.message).toContain(mentioned);
  });
});

describe('unit helpers', () => {
  it.each([
    [0, '0:00:00'],
    [5, '0:00:05'],
    [3661, '1:01:01'],
    [360000, '100:00:00'],
  ])('clockTime(%i) is %s', (seconds, text) => {
    expect(clockTime(seconds)).toBe(text);
  });

  it('rounds minutes up', () => {
    expect([1, 60, 61, 120].map(wholeMinutes)).toEqual([1, 1, 2, 2]);
  });

  it('chunks in order, with no empty group', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
    expect(chunk(Array.from({ length: 1000 }, (_, i) => i)).map((group) => group.length)).toEqual([500, 500]);
  });

  it('builds commands through the binary lookup', () => {
    expect(command((name) => ['ssh', 'login', name], 'squeue', ['-h'], '/d')).toEqual({ argv: ['ssh', 'login', 'squeue', '-h'], cwd: '/d' });
    expect(command((name) => [name], 'squeue', [])).toEqual({ argv: ['squeue'] });
  });

  it('summarises output on one line, stderr first, and cuts it short', () => {
    expect(outputSummary('out\n', '\nerr 1\n  err 2 \n')).toBe('err 1 | err 2 | out');
    expect(outputSummary('', '')).toBe('(no output)');
    expect(outputSummary('x'.repeat(700), '')).toBe(`${'x'.repeat(600)}...`);
  });
});
