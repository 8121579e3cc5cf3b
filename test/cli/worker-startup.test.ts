/**
 * Every task of a batch job starts `b2 worker`, then its pipeline imports
 * b2's API: the files those two load are paid thousands of times. dist/ is a
 * bundle (scripts/build.mjs) so that they are a handful, not fifty; this
 * keeps them so, and keeps the runner's own modules off that path.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { B2_BIN, ROOT } from '../helpers/b2.js';

const REGISTER = path.join(ROOT, 'test', 'helpers', 'loaded-files', 'register.mjs');

/** The files of b2 and of its packages (relative to its root) that `node args` resolves. */
const filesLoadedBy = (args: readonly string[]): string[] => {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'b2-loaded-')), 'files.txt');
  const result = spawnSync(process.execPath, ['--import', REGISTER, ...args], { encoding: 'utf8', env: { ...process.env, B2_TEST_LOADED_LOG: log } });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const urls = new Set(readFileSync(log, 'utf8').split('\n').filter((url) => url.startsWith('file:')));
  return [...urls].map((url) => path.relative(ROOT, fileURLToPath(url))).filter((file) => !file.startsWith('..'));
};

describe("what a batch job's b2 worker loads", () => {
  it('the worker entry and its shared chunks only: not the command-line runner, not fifty modules', () => {
    const files = filesLoadedBy([B2_BIN, 'worker', '--help']);
    expect(files).toContain('dist/cli/worker-entry.js');
    expect(files).not.toContain('dist/cli/main.js');
    // Not one package: the runner's (commander, listr2, execa, chalk, cosmiconfig, esbuild) stay off this path.
    expect(files.filter((file) => file.startsWith('node_modules'))).toEqual([]);
    expect(files.filter((file) => file !== 'bin/b2.js' && !file.startsWith('dist/chunks/') && file !== 'dist/cli/worker-entry.js')).toEqual([]);
    expect(files.length).toBeLessThanOrEqual(12);
  });

  it("the pipeline API that each task's pipeline imports: its entry and shared chunks", () => {
    const entry = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
    const files = filesLoadedBy(['--input-type=module', '-e', `await import(${JSON.stringify(entry)});`]);
    expect(files).toContain('dist/index.js');
    expect(files.filter((file) => file !== 'dist/index.js' && !file.startsWith('dist/chunks/'))).toEqual([]);
    expect(files.length).toBeLessThanOrEqual(10);
  });
});
