import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  explainAllSettings,
  explainSetting,
  getSetting,
  parseDuration,
  parseMemory,
  parseSettingAssignment,
  resetSettings,
  setSetting,
  takeSettingsWarnings,
  type SettingType,
} from '../../src/settings/index.js';
import { coerce } from '../../src/settings/values.js';
import { init, tempDir, writeFile } from './helpers.js';
import { BATCH_SYSTEM_ALIASES } from '../../src/systems/registry.js';

// What batch_system may be: every name and alias of the registry.
const BATCH_SYSTEM_CHOICES = ['auto', 'local', ...BATCH_SYSTEM_ALIASES].map((name) => JSON.stringify(name)).join(', ');

beforeEach(() => resetSettings());

describe('parseMemory', () => {
  it.each([
    [2048, 2048],
    ['2048', 2048],
    ['2GB', 2048],
    ['2 GB', 2048],
    ['1.5g', 1536],
    ['2GiB', 2048],
    ['500MB', 500],
    ['500m', 500],
    ['1TB', 1024 * 1024],
    ['1536KB', 2],
    ['1k', 1],
  ])('%p is %p MB', (text, megabytes) => {
    expect(parseMemory(text)).toBe(megabytes);
  });

  it.each([0, -1, Number.NaN, '', 'lots', '2 parsecs', '2GB RAM', null, true, [2]])('rejects %p', (text) => {
    expect(parseMemory(text)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it.each([
    [3600, 3600],
    ['45', 45],
    ['45s', 45],
    ['90m', 5400],
    ['90 min', 5400],
    ['2h', 7200],
    ['1.5 hours', 5400],
    ['1d', 86400],
    ['01:30:00', 5400],
    ['30:00', 1800],
    ['100:00:00', 360000],
  ])('%p is %p s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([-1, 'soon', '1:2:3:4', '10:75', '2 fortnights', null, {}])('rejects %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('coerce, per type', () => {
  it.each([
    [{ kind: 'number', min: 0 }, 0.5, 0.5],
    [{ kind: 'number', min: 0 }, -0.5, undefined],
    [{ kind: 'number' }, Number.POSITIVE_INFINITY, undefined],
    [{ kind: 'integer' }, 2.5, undefined],
    [{ kind: 'integer', min: 1 }, 1, 1],
    [{ kind: 'boolean' }, 'true', undefined],
    [{ kind: 'path' }, '../x', '../x'],
    [{ kind: 'string-list' }, [], []],
    [{ kind: 'object' }, { a: 1, b: 'x', c: true }, { a: 1, b: 'x', c: true }],
    [{ kind: 'object' }, { a: null }, undefined],
    [{ kind: 'object' }, new Map(), undefined],
    [{ kind: 'string-record' }, { a: 'x' }, { a: 'x' }],
    [{ kind: 'command-map' }, { qsub: '' }, undefined],
  ] as Array<[SettingType, unknown, unknown]>)('%j accepts %p as %p', (type, value, expected) => {
    const result = coerce(type, value);
    expect(result.ok ? result.value : undefined).toEqual(expected);
  });
});

describe('--setting key=value', () => {
  it.each([
    ['workers=4', ['workers', 4]],
    ['use_parameter_name_in_output=false', ['use_parameter_name_in_output', false]],
    ['env={"A": "1"}', ['env', { A: '1' }]],
    ['executable_prefix=["strace", "-f"]', ['executable_prefix', ['strace', '-f']]],
    ['result_dir=/data/r', ['result_dir', '/data/r']],
    ['result_dir="/data/quoted"', ['result_dir', '/data/quoted']],
    ['htcondor_settings={"requirements": "a == b"}', ['htcondor_settings', { requirements: 'a == b' }]],
    ['my_cut=0.5', ['my_cut', 0.5]],
    ['my_text=hello world', ['my_text', 'hello world']],
    ['my_empty=', ['my_empty', '']],
  ])('%s', (assignment, parsed) => {
    expect(parseSettingAssignment(assignment)).toEqual(parsed);
  });

  it('keeps text for settings that want text, even when it looks like JSON', () => {
    expect(parseSettingAssignment('job_name=2024')).toEqual(['job_name', '2024']);
    expect(parseSettingAssignment('queue=true')).toEqual(['queue', 'true']);
    expect(parseSettingAssignment('parameter_separator=[x]')).toEqual(['parameter_separator', '[x]']);
    expect(parseSettingAssignment('memory=2GB')).toEqual(['memory', '2GB']);
    expect(parseSettingAssignment('log_folder=123')).toEqual(['log_folder', '123']);
  });

  it('rejects an assignment without "=" or without a key, clearly', () => {
    expect(() => parseSettingAssignment('result_dir')).toThrow(
      expect.objectContaining({ reason: 'bad-setting', message: '--setting expects KEY=VALUE, got "result_dir".' }),
    );
    expect(() => parseSettingAssignment('=x')).toThrow(/expects KEY=VALUE/);
  });
});

describe('environment variables', () => {
  it('reads B2_<KEY>, as JSON when it parses, else as text', async () => {
    await init({
      cwd: tempDir(),
      env: {
        B2_WORKERS: '16',
        B2_USE_PARAMETER_NAME_IN_OUTPUT: 'false',
        B2_ENV: '{"LANG": "C"}',
        B2_RESULT_DIR: '/data/r',
        B2_JOB_NAME: '2024',
        B2_WALLTIME: '2h',
        B2_MY_SETTING: '[1, 2]',
        B2_MY_TEXT: 'plain',
      },
    });
    expect(getSetting('workers')).toBe(16);
    expect(getSetting('use_parameter_name_in_output')).toBe(false);
    expect(getSetting('env')).toEqual({ LANG: 'C' });
    expect(getSetting('result_dir')).toBe('/data/r');
    expect(getSetting('job_name')).toBe('2024');
    expect(getSetting('walltime')).toBe(7200);
    expect(getSetting('my_setting')).toEqual([1, 2]);
    expect(getSetting('my_text')).toBe('plain');
  });

  it('does not warn about or list B2_* variables that are not settings, yet user code may read them', async () => {
    takeSettingsWarnings();
    await init({ cwd: tempDir(), env: { B2_RUN_DIR: '/x', B2_FAKE_FAULTS: 'none', PATH: '/bin' } });
    expect(takeSettingsWarnings()).toEqual([]);
    expect(explainAllSettings().map((row) => row.key)).not.toContain('run_dir');
    expect(getSetting('run_dir')).toBe('/x');
  });
});

describe('dedicated flags', () => {
  it('parse text by the setting\'s type and are named in the source', async () => {
    await init({
      cwd: tempDir(),
      flags: { result_dir: '/data/flag', workers: '8', batch_system: 'lsf' },
      flagSources: { result_dir: '--result-dir', workers: '--workers' },
    });
    expect(getSetting('workers')).toBe(8);
    expect(getSetting('result_dir')).toBe('/data/flag');
    expect(explainSetting('result_dir').source).toBe('flag --result-dir');
    expect(explainSetting('batch_system').source).toBe('flag --setting batch_system=lsf');
  });
});

describe('type errors name the key, the value, the source and the expected type', () => {
  it.each([
    [{ env: { B2_WORKERS: 'many' } }, 'Bad value for setting workers (from env B2_WORKERS): "many" is not an integer ≥ 1.'],
    [{ env: { B2_RETRIES: '-1' } }, 'Bad value for setting retries (from env B2_RETRIES): -1 is not an integer ≥ 0.'],
    [{ flags: { batch_system: 'kubernetes' } }, `Bad value for setting batch_system (from flag --setting batch_system=kubernetes): "kubernetes" is not one of ${BATCH_SYSTEM_CHOICES}.`],
    [{ flags: { executable: 'node b2' } }, 'Bad value for setting executable (from flag --setting executable=node b2): "node b2" is not a list of strings.'],
    [{ flags: { executable: ['node', 3] } }, 'Bad value for setting executable (from flag --setting executable=["node",3], at executable[1]): 3 is not a string; executable must be a list of strings.'],
    [{ flags: { env: { A: 1 } } }, 'Bad value for setting env (from flag --setting env={"A":1}, at env.A): 1 is not a string; env must be an object of strings.'],
    [{ flags: { batch_commands: { sbatch: [] } } }, 'Bad value for setting batch_commands (from flag --setting batch_commands={"sbatch":[]}, at batch_commands.sbatch): [] is not a command: a string or a non-empty list of strings; batch_commands must be an object of commands (a string or a list of strings each).'],
    [{ env: { B2_MEMORY: 'lots' } }, 'Bad value for setting memory (from env B2_MEMORY): "lots" is not megabytes (a number) or a size such as "2GB".'],
    [{ env: { B2_POLL_INTERVAL: 'soon' } }, 'Bad value for setting poll_interval (from env B2_POLL_INTERVAL): "soon" is not seconds (a number > 0) or a duration such as "01:30:00", "90m", "2h".'],
  ])('%j', async (layers, message) => {
    await expect(init({ cwd: tempDir(), ...layers })).rejects.toThrow(
      expect.objectContaining({ name: 'UserError', reason: 'bad-setting', message }),
    );
  });

  it('in a settings file, with the JSON path as written', async () => {
    const cwd = tempDir();
    const file = writeFile(cwd, 'settings.json', { log_folder: 7 });
    await expect(init({ cwd })).rejects.toThrow(`Bad value for setting log_dir (from settings.json: ${file}, at $.log_folder): 7 is not a path (string).`);
  });

  it('from setSetting, at the call', async () => {
    await init({ cwd: tempDir() });
    expect(() => setSetting('use_parameter_name_in_output', 'yes')).toThrow(
      'Bad value for setting use_parameter_name_in_output (from setSetting() in the pipeline): "yes" is not true or false.',
    );
    expect(getSetting('use_parameter_name_in_output')).toBe(true);
  });

  it('leaves the previous settings in place when a new initialisation is rejected', async () => {
    await init({ cwd: tempDir(), flags: { workers: 3 } });
    await expect(init({ cwd: tempDir(), flags: { workers: 0 } })).rejects.toThrow(/workers/);
    expect(getSetting('workers')).toBe(3);
  });

  it('normalises memory and durations wherever they come from', async () => {
    const cwd = tempDir();
    writeFile(cwd, 'settings.json', { memory: '4GB', lost_job_grace: '10m' });
    await init({ cwd, env: { B2_SUBMIT_TIMEOUT: '00:02:00' } });
    setSetting('poll_interval', '1m');
    expect(getSetting('memory')).toBe(4096);
    expect(getSetting('lost_job_grace')).toBe(600);
    expect(getSetting('submit_timeout')).toBe(120);
    expect(getSetting('poll_interval')).toBe(60);
    expect(getSetting('memory', { task: { memory: '512MB' } })).toBe(512);
  });
});
