/**
 * Output and log paths from hostile parameter values: a value either makes
 * folders the system accepts, or is refused as bad input while the graph is
 * built. Never an error of the file system later, in the middle of a run.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isUserError } from '../../src/errors.js';
import { param } from '../../src/pipeline/params.js';
import { logPaths, outputPath } from '../../src/pipeline/paths.js';
import { Task } from '../../src/pipeline/task.js';
import { hostileValues } from '../helpers/hostile-values.js';
import { freshPipelineDir } from './fixtures.js';

class Scan extends Task.with({ label: param.string() }) {}

beforeEach(async () => {
  await freshPipelineDir();
});

/** The corpus, then values near the 255-byte limit of a name, counted in bytes, and values with NUL. */
const values = (): string[] => [
  ...hostileValues(1500),
  ...[240, 249, 250, 251, 300].map((n) => 'x'.repeat(n)),
  ...[120, 124, 125, 126, 150].map((n) => 'é'.repeat(n)),
  ...['🎉'.repeat(62), '🎉'.repeat(63)],
  'a\0b',
  '\0',
];

describe('parameter values in paths', () => {
  it('either make folders and files the system accepts, or are refused as bad input', () => {
    let refused = 0;
    for (const label of values()) {
      let logs;
      try {
        logs = logPaths(new Scan({ label }));
        mkdirSync(path.dirname(outputPath(new Scan({ label }), 'out.txt')), { recursive: true });
      } catch (error) {
        if (!isUserError(error) || error.reason !== 'bad-parameter-value') throw error;
        refused++;
        continue;
      }
      mkdirSync(logs.dir, { recursive: true });
      writeFileSync(logs.stdout, label);
    }
    // Slashes, dots, NUL and names over 255 bytes: a part of the corpus, not all of it.
    expect(refused).toBeGreaterThan(10);
    expect(refused).toBeLessThan(values().length / 2);
  });

  it('are measured in bytes: 255 of them fit in a name, 256 do not', () => {
    // "label=" is 6 bytes.
    expect(() => logPaths(new Scan({ label: 'x'.repeat(249) }))).not.toThrow();
    expect(() => logPaths(new Scan({ label: 'x'.repeat(250) }))).toThrow('makes a folder name of 256 bytes');
    expect(() => logPaths(new Scan({ label: 'é'.repeat(125) }))).toThrow('makes a folder name of 256 bytes');
    expect(() => logPaths(new Scan({ label: 'a\0b' }))).toThrow('contains a NUL character');
  });
});
