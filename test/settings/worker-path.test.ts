/**
 * A batch job gets its settings from the runner's snapshot: it must not load
 * the config-file machinery (cosmiconfig, esbuild) that costs the runner tens
 * of milliseconds, nor look at any settings file. Runs the built module in a
 * fresh process, as `b2 worker` does.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/b2.js';
import { tempDir, writeFile } from './helpers.js';

// The settings functions of the build that `b2 worker` runs.
const SETTINGS = pathToFileURL(path.join(ROOT, 'dist', 'internals.js')).href;

/** Runs `body` as an ES module with the built settings functions imported as `s`; returns its stdout as JSON. */
const inFreshProcess = (cwd: string, body: string): unknown => {
  const script = `const s = await import(${JSON.stringify(SETTINGS)});\n${body}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as unknown;
};

describe('the batch worker path', () => {
  it('loads neither cosmiconfig nor esbuild, and reads no settings file', () => {
    const cwd = tempDir();
    writeFile(cwd, 'settings.json', { queue: 'from-a-file' });
    writeFile(cwd, '.b2rc.json', { job_name: 'from-a-file' });
    const snapshot = { version: 1, cwd, pipelineDir: cwd, flags: { workers: 4 }, flagSources: {}, env: { B2_RETRIES: '2' }, files: [], set: {} };
    const seen = inFreshProcess(
      cwd,
      `
      const { createRequire } = await import('node:module');
      s.initSettingsFromSnapshot(${JSON.stringify(snapshot)});
      const task = { memory() { return '2GB'; } };
      const values = ['workers', 'retries', 'memory', 'result_dir', 'env'].map((key) => s.getSetting(key, { task }));
      values.push(s.getSetting('queue', { default: 'none' }), s.getSetting('job_name', { default: 'none' }));
      // cosmiconfig and esbuild are CommonJS: once imported they sit in the require cache.
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => /cosmiconfig|esbuild|yaml/.test(f));
      process.stdout.write(JSON.stringify({ values, loaded }));
      `,
    );
    expect(seen).toEqual({ values: [4, 2, 2048, '.', {}, 'none', 'none'], loaded: [] });
  });

  it('the same check sees cosmiconfig when files are read (so it can fail)', () => {
    const cwd = tempDir();
    const seen = inFreshProcess(
      cwd,
      `
      const { createRequire } = await import('node:module');
      await s.initSettings({ cwd: ${JSON.stringify(cwd)}, env: {}, flags: {} });
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => /cosmiconfig/.test(f));
      process.stdout.write(JSON.stringify({ loaded }));
      `,
    );
    expect(seen).toEqual({ loaded: true });
  });
});
