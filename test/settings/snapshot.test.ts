import { beforeEach, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import path from 'node:path';
import {
  exportSettingsSnapshot,
  explainAllSettings,
  getSetting,
  initSettingsFromSnapshot,
  resetSettings,
  setSetting,
  type SettingsSnapshot,
} from '../../src/settings/index.js';
import { init, projectDir, tempDir, writeFile } from './helpers.js';

beforeEach(() => resetSettings());

/** A runner's settings from every layer, in a folder that can be deleted afterwards. */
const arrangeRunner = async (): Promise<{ top: string; snapshot: SettingsSnapshot }> => {
  const top = projectDir();
  const cwd = path.join(top, 'ana');
  writeFile(top, '.b2rc.json', { batch_system: 'htcondor', htcondor_settings: { request_disk: '4 GB' } });
  writeFile(top, 'settings.json', { log_dir: '/far/logs', env: { FAR: '1' } });
  writeFile(cwd, 'settings.json', { result_dir: '/near/results', my_cut: 0.5 });
  await init({
    cwd,
    pipelineDir: path.join(top, 'pipeline'),
    env: { B2_WALLTIME: '2h', B2_MY_ENV_SETTING: 'x', HOME: '/home/secret' },
    flags: { workers: 20, result_dir: '/flag/results' },
    flagSources: { result_dir: '--result-dir' },
  });
  setSetting('env', { SET: '1' });
  setSetting('my_function', () => 'not JSON');
  // JSON, as the runner writes it into the run folder.
  return { top, snapshot: JSON.parse(JSON.stringify(exportSettingsSnapshot())) as SettingsSnapshot };
};

describe('settings snapshots', () => {
  it('give a worker exactly the runner\'s values and sources, without the files', async () => {
    const { top, snapshot } = await arrangeRunner();
    const task = { memory: '3GB', env: { TASK: '1' } };
    // Functions cannot travel; the worker's import of the pipeline sets them again.
    const expected = explainAllSettings(task).filter((row) => row.key !== 'my_function');
    const env = getSetting('env', { task });

    resetSettings();
    rmSync(top, { recursive: true, force: true });
    initSettingsFromSnapshot(snapshot);

    expect(explainAllSettings(task)).toEqual(expected);
    expect(getSetting('env', { task })).toEqual(env);
    expect(getSetting('env', { task })).toEqual({ FAR: '1', SET: '1', TASK: '1' });
    expect(getSetting('result_dir')).toBe('/flag/results');
    expect(getSetting('walltime')).toBe(7200);
    expect(getSetting('working_dir')).toBe(path.join(top, 'pipeline'));
    expect(getSetting('my_cut')).toBe(0.5);
    expect(getSetting('my_env_setting')).toBe('x');
  });

  it('carry only B2_* variables and JSON values', async () => {
    const { snapshot } = await arrangeRunner();
    expect(snapshot.env).toEqual({ B2_WALLTIME: '2h', B2_MY_ENV_SETTING: 'x' });
    expect(snapshot.set).toEqual({ env: { SET: '1' } });
    expect(snapshot.files.map((file) => file.source)).toEqual([
      expect.stringMatching(/^settings\.json: .*\/ana\/settings\.json$/),
      expect.stringMatching(/^settings\.json: .*\/settings\.json$/),
      expect.stringMatching(/^\.b2rc\.json: /),
    ]);
  });

  it('replace the setSetting() values of a worker that served another run', async () => {
    const { snapshot } = await arrangeRunner();
    resetSettings();
    setSetting('queue', 'from-an-earlier-run');
    initSettingsFromSnapshot(snapshot);
    expect(getSetting('queue', { default: undefined })).toBeUndefined();
    expect(getSetting('env')).toEqual({ FAR: '1', SET: '1' });
  });

  it('do not search for files even when the cwd has some', async () => {
    const cwd = tempDir();
    await init({ cwd });
    const snapshot = exportSettingsSnapshot();
    writeFile(cwd, 'settings.json', { queue: 'appeared-later' });
    resetSettings();
    initSettingsFromSnapshot(snapshot);
    expect(getSetting('queue', { default: 'none' })).toBe('none');
  });

  it('are rejected when they come from another format', () => {
    expect(() => initSettingsFromSnapshot({ version: 2 } as unknown as SettingsSnapshot)).toThrow(
      expect.objectContaining({ reason: 'bad-settings-snapshot', message: expect.stringMatching(/version 2, expected 1/) }),
    );
  });
});
