/** Cutting ready tasks into arrays and elements, the keys file, and a packed job's resources. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arrayLength, elementTaskKeys, keysFileContent, keysFileReader, newArrayKey, splitIntoArrays } from '../../src/batch/arrays.js';
import { packedSpec } from '../../src/batch/job.js';
import { jobSpec } from '../systems/helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-arrays-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('arrays of a run', () => {
  it('cuts tasks into elements of tasks_per_job and arrays of at most the allowed elements, in order', () => {
    const tasks = Array.from({ length: 11 }, (_, i) => i);
    expect(splitIntoArrays(tasks, 2, 3)).toEqual([
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      [
        [6, 7, 8],
        [9, 10],
      ],
    ]);
    expect(splitIntoArrays(tasks, 1000, 1)).toHaveLength(1);
  });

  it('1,000,000 tasks, 100 per element, fit 10,000 elements: ten arrays of 1000 on a Slurm with MaxArraySize 1001', () => {
    const tasks = Array.from({ length: 1_000_000 }, (_, i) => i);
    const arrays = splitIntoArrays(tasks, arrayLength({ array: true }, { maxArraySize: 1000, maxJobs: 10_000 }), 100);
    expect(arrays).toHaveLength(10);
    expect(arrays.reduce((sum, elements) => sum + elements.length, 0)).toBe(10_000);
  });

  it('packing without arrays: one element per array, a job of its own', () => {
    expect(arrayLength({ array: false, arraySize: 50 }, { maxArraySize: 1000 })).toBe(1);
    expect(arrayLength({ array: true, arraySize: 50 }, { maxArraySize: 1000 })).toBe(50);
  });

  it('names each element\'s tasks in the keys file, read back by index', () => {
    const content = keysFileContent([['0123456789ab', 'bbbbbbbbbbbb'], ['cccccccccccc']]);
    expect(content).toBe('0123456789ab bbbbbbbbbbbb\ncccccccccccc\n');
    expect(elementTaskKeys(content, 1)).toEqual(['0123456789ab', 'bbbbbbbbbbbb']);
    expect(elementTaskKeys(content, 2)).toEqual(['cccccccccccc']);
    expect(elementTaskKeys(content, 3)).toEqual([]);
    const file = path.join(dir, 'array-aaaaaaaaaaaa.keys');
    writeFileSync(file, content);
    const read = keysFileReader((key) => path.join(dir, `array-${key}.keys`));
    expect(read('aaaaaaaaaaaa', 2)).toEqual(['cccccccccccc']);
    expect(read('ffffffffffff', 1)).toEqual([]);
  });

  it('gives each array of a run a key of its own', () => {
    const keys = new Set(Array.from({ length: 100 }, (_, i) => newArrayKey('b2_run', 'Leaf_1', i)));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('a packed job', () => {
  const spec = jobSpec({ resources: { cpus: 2, memoryMb: 1000, walltimeSeconds: 600 }, bulk: { array: true, tasksPerJob: 10, tasksInParallel: 4, slotLimit: 5 } });

  it('asks for the cpus and memory of the tasks running together, the walltime of those running one after the other', () => {
    expect(packedSpec(spec, 10).resources).toEqual({ cpus: 8, memoryMb: 4000, walltimeSeconds: 1800 });
    expect(packedSpec(spec, 3).resources).toEqual({ cpus: 6, memoryMb: 3000, walltimeSeconds: 600 });
    expect(packedSpec(spec, 1).resources).toEqual(spec.resources);
  });

  it('one at a time: the resources of one task, the walltime of all', () => {
    const sequential = { ...spec, bulk: { ...spec.bulk!, tasksInParallel: 1 } };
    expect(packedSpec(sequential, 5).resources).toEqual({ cpus: 2, memoryMb: 1000, walltimeSeconds: 3000 });
  });
});
