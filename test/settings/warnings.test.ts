import { beforeEach, describe, expect, it } from '@jest/globals';
import { clearSetting, explainSetting, getSetting, resetSettings, setSetting, takeSettingsWarnings } from '../../src/settings/index.js';
import { init, tempDir, writeFile } from './helpers.js';

beforeEach(() => resetSettings());

describe('unknown keys', () => {
  it('in a config file warn with the nearest known name', async () => {
    const cwd = tempDir();
    const file = writeFile(cwd, 'settings.json', { reslt_dir: 'r', htcondor_setting: {}, batchsystem: 'lsf' });
    await init({ cwd });
    expect(takeSettingsWarnings()).toEqual([
      `Unknown setting reslt_dir (in settings.json: ${file}): did you mean result_dir?`,
      `Unknown setting htcondor_setting (in settings.json: ${file}): did you mean htcondor_settings?`,
      `Unknown setting batchsystem (in settings.json: ${file}): did you mean batch_system?`,
    ]);
  });

  it('far from any known name, say that only pipeline code can use them, and keep the value for it', async () => {
    const cwd = tempDir();
    const rc = writeFile(cwd, '.b2rc.json', { analysis_cuts: { pt: 1 } });
    await init({ cwd });
    expect(takeSettingsWarnings()).toEqual([
      `Unknown setting analysis_cuts (in .b2rc.json: ${rc}): b2 does not use it; pipeline code can still read it with getSetting().`,
    ]);
    expect(getSetting('analysis_cuts')).toEqual({ pt: 1 });
  });

  it('from --setting warn too; in setSetting they are pipeline-defined and silent', async () => {
    await init({ cwd: tempDir(), flags: { wokers: 4 } });
    setSetting('my_threshold', 3);
    expect(takeSettingsWarnings()).toEqual(['Unknown setting wokers (flag --setting wokers=4): did you mean workers?']);
  });

  it('are given once, even when the same file is read again', async () => {
    const cwd = tempDir();
    writeFile(cwd, 'settings.json', { reslt_dir: 'r' });
    await init({ cwd });
    await init({ cwd });
    expect(takeSettingsWarnings()).toHaveLength(1);
    await init({ cwd });
    expect(takeSettingsWarnings()).toEqual([]);
  });
});

describe('deprecated names', () => {
  it.each([
    ['result_path', 'result_dir', '/r'],
    ['log_folder', 'log_dir', '/l'],
    ['cmd_prefix', 'executable_prefix', ['strace']],
  ])('%s in a file is read as %s, with a warning', async (old, current, value) => {
    const cwd = tempDir();
    const file = writeFile(cwd, 'settings.json', { [old]: value });
    await init({ cwd });
    expect(getSetting(current)).toEqual(value);
    expect(takeSettingsWarnings()).toEqual([`The setting name ${old} (in settings.json: ${file}) is deprecated; use ${current} instead.`]);
  });

  it('the current name wins over the old one in the same file, whatever the order', async () => {
    const cwd = tempDir();
    writeFile(cwd, 'settings.json', { result_dir: 'new', result_path: 'old' });
    await init({ cwd });
    expect(getSetting('result_dir')).toBe('new');
  });

  it('work in env, flags, setSetting and getSetting, warning once each', async () => {
    await init({ cwd: tempDir(), env: { B2_LOG_FOLDER: '/env-logs' }, flags: { cmd_prefix: ['time'] } });
    setSetting('result_path', '/set');
    setSetting('result_path', '/set-again');
    expect(getSetting('log_dir')).toBe('/env-logs');
    expect(getSetting('executable_prefix')).toEqual(['time']);
    expect(getSetting('result_dir')).toBe('/set-again');
    expect(getSetting('result_path')).toBe('/set-again');
    expect(getSetting('result_path')).toBe('/set-again');
    expect(explainSetting('result_path').key).toBe('result_dir');
    expect(takeSettingsWarnings()).toEqual([
      'The setting name cmd_prefix (flag --setting cmd_prefix=["time"]) is deprecated; use executable_prefix instead.',
      'The setting name log_folder (env B2_LOG_FOLDER) is deprecated; use log_dir instead.',
      'The setting name result_path (setSetting()) is deprecated; use result_dir instead.',
      "The setting name result_path (getSetting('result_path')) is deprecated; use result_dir instead.",
    ]);
    clearSetting('result_path');
    expect(getSetting('result_dir')).toBe('.');
  });
});
