/**
 * How ready tasks of one family are cut into arrays and elements, and which
 * tasks an element of an array runs: the keys file written before the
 * array's submit command names them, line by line, so that a runner that
 * never heard the command's answer (it was killed, it timed out) can tell,
 * from the run's jobs the system lists, which element is which task.
 */
import { readFileSync } from 'node:fs';
import { taskKey } from '../systems/task-key.js';
import type { SiteLimits } from '../systems/contract.js';
import { elementsPerArray } from '../systems/limits.js';

/**
 * `jobs` as arrays of elements of tasks: `tasksPerJob` tasks per element,
 * at most `perArray` elements per array, in order.
 */
export const splitIntoArrays = <T>(jobs: readonly T[], perArray: number, tasksPerJob: number): T[][][] => {
  const elements: T[][] = [];
  for (let i = 0; i < jobs.length; i += tasksPerJob) elements.push(jobs.slice(i, i + tasksPerJob));
  const arrays: T[][][] = [];
  for (let i = 0; i < elements.length; i += perArray) arrays.push(elements.slice(i, i + perArray));
  return arrays;
};

/** Elements per array for tasks with these settings on a site with these limits; 1 when arrays are off (packing alone). */
export const arrayLength = (bulk: { readonly array: boolean; readonly arraySize?: number }, site: SiteLimits): number =>
  bulk.array ? elementsPerArray(bulk.arraySize, site) : 1;

/** A key of its own for each array of a run (12 hex digits, as task keys), carried next to the run tag. */
export const newArrayKey = (runTag: string, firstTaskId: string, serial: number): string => taskKey(`${runTag}\n${firstTaskId}\n${serial}\n${process.pid}\n${Date.now()}`);

/** The keys file: one line per element, the keys of its tasks separated by blanks. */
export const keysFileContent = (elements: readonly (readonly string[])[]): string => elements.map((keys) => `${keys.join(' ')}\n`).join('');

/** The task keys of element `index` (1-based) in a keys file's text; none when it has no such line. */
export const elementTaskKeys = (content: string, index: number): string[] => {
  const line = content.split('\n')[index - 1];
  return line === undefined ? [] : line.split(' ').filter((key) => /^[0-9a-f]{12}$/.test(key));
};

/** Reads keys files once each; a missing one (no array of the run has that key) names no task. */
export const keysFileReader = (fileOf: (arrayKey: string) => string): ((arrayKey: string, index: number) => string[]) => {
  const cache = new Map<string, string | undefined>();
  return (arrayKey, index) => {
    if (!cache.has(arrayKey)) {
      let content: string | undefined;
      try {
        content = readFileSync(fileOf(arrayKey), 'utf8');
      } catch {
        content = undefined;
      }
      cache.set(arrayKey, content);
    }
    const content = cache.get(arrayKey);
    return content === undefined ? [] : elementTaskKeys(content, index);
  };
};
