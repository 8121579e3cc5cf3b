import { beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS, getSetting, resetSettings, settingsMarkdown, takeSettingsWarnings } from '../../src/settings/index.js';
import { coerce } from '../../src/settings/values.js';
import { B2_BIN, DEPRECATED_KEYS, SETTINGS_BY_KEY, defaultOf } from '../../src/settings/table.js';
import { init, tempDir } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

beforeEach(() => resetSettings());

describe('the settings table', () => {
  it('has unique keys, snake_case, and deprecated names that are not keys themselves', () => {
    expect(SETTINGS_BY_KEY.size).toBe(SETTINGS.length);
    for (const { key } of SETTINGS) expect(key).toMatch(/^[a-z][a-z0-9_]*$/);
    for (const old of DEPRECATED_KEYS.keys()) expect(SETTINGS_BY_KEY.has(old)).toBe(false);
    expect(Object.fromEntries(DEPRECATED_KEYS)).toEqual({ result_path: 'result_dir', log_folder: 'log_dir', cmd_prefix: 'executable_prefix' });
  });

  it('has defaults that pass their own type', () => {
    const context = { cwd: '/work', pipelineDir: '/work/ana' };
    for (const definition of SETTINGS) {
      const fallback = defaultOf(definition, context);
      if (fallback === undefined) continue;
      expect([definition.key, coerce(definition.type, fallback).ok]).toEqual([definition.key, true]);
    }
  });

  it('points the default executable at b2\'s bin/b2.js', () => {
    expect(B2_BIN).toBe(path.join(ROOT, 'bin', 'b2.js'));
    expect(existsSync(B2_BIN)).toBe(true);
  });

  it('renders the README reference with one row per setting', () => {
    const markdown = settingsMarkdown();
    const lines = markdown.split('\n');
    expect(lines.slice(0, 2)).toEqual(['| setting | type | default | what it does |', '|---|---|---|---|']);
    expect(lines).toHaveLength(SETTINGS.length + 2);
    expect(markdown).toContain('| `result_dir` (formerly `result_path`) | a path (string) | `"."` | base folder of output files |');
    expect(markdown).toContain("| `working_dir` | a path (string) | the pipeline's folder |");
    expect(markdown).toContain('| `job_name` | a string | not set |');
    // Pipes inside cells would split them.
    for (const line of lines.slice(2)) expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(6);
  });
});

describe('.b2rc.example.json', () => {
  const file = path.join(ROOT, '.b2rc.example.json');

  it('is a valid site configuration: only known keys, every value of the right type', async () => {
    const values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const key of Object.keys(values)) expect([key, SETTINGS_BY_KEY.has(key)]).toEqual([key, true]);
    await init({ cwd: tempDir(), env: { B2_SETTINGS_JSON: file } });
    expect(takeSettingsWarnings()).toEqual([]);
    expect(getSetting('batch_system')).toBe('htcondor');
    expect(getSetting('walltime')).toBe(3 * 3600);
  });

  it('configures an HTCondor site', () => {
    const values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const key of ['env_script', 'env', 'executable', 'job_name', 'htcondor_settings', 'retries', 'result_dir', 'log_dir']) {
      expect(values).toHaveProperty([key]);
    }
  });
});
