import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  clearSetting,
  explainSetting,
  getSetting,
  initSettings,
  resetSettings,
  setSetting,
} from '../../src/settings/index.js';
import { init, tempDir, writeFile } from './helpers.js';

const LAYERS = ['task', 'flag', 'env', 'setSetting', 'settings.json', 'config', 'default'] as const;
type Layer = (typeof LAYERS)[number];

const SOURCE: Record<Layer, RegExp> = {
  task: /^task Object \(attribute result_dir\)$/,
  flag: /^flag --setting result_dir=from-flag$/,
  env: /^env B2_RESULT_DIR$/,
  setSetting: /^setSetting\(\) in the pipeline$/,
  'settings.json': /^settings\.json: \/.*\/settings\.json$/,
  config: /^\.b2rc\.json: \/.*\/\.b2rc\.json$/,
  default: /^default$/,
};

/** Gives result_dir the value "from-<layer>" in each of the given layers and nowhere else. */
const arrange = async (layers: readonly Layer[]): Promise<object> => {
  const dir = tempDir();
  const has = (layer: Layer): boolean => layers.includes(layer);
  if (has('settings.json')) writeFile(dir, 'settings.json', { result_dir: 'from-settings.json' });
  if (has('config')) writeFile(dir, '.b2rc.json', { result_dir: 'from-config' });
  await init({
    cwd: dir,
    env: has('env') ? { B2_RESULT_DIR: 'from-env' } : {},
    flags: has('flag') ? { result_dir: 'from-flag' } : {},
  });
  if (has('setSetting')) setSetting('result_dir', 'from-setSetting');
  return has('task') ? { result_dir: 'from-task' } : {};
};

const expected = (layer: Layer): string => (layer === 'default' ? '.' : `from-${layer}`);

beforeEach(() => resetSettings());

describe('precedence, first hit wins', () => {
  const pairs = LAYERS.flatMap((higher, i) => LAYERS.slice(i + 1).map((lower) => [higher, lower] as const));

  it.each(pairs)('%s beats %s', async (higher, lower) => {
    const task = await arrange([higher, lower]);
    expect(getSetting('result_dir', { task })).toBe(expected(higher));
    expect(explainSetting('result_dir', task).source).toMatch(SOURCE[higher]);
  });

  it.each(LAYERS.map((layer, i) => [layer, LAYERS.slice(i)] as const))('%s wins when it and every lower layer are set', async (top, layers) => {
    const task = await arrange(layers);
    expect(getSetting('result_dir', { task })).toBe(expected(top));
  });

  it('without a task, the task layer is skipped', async () => {
    await arrange(['flag', 'env']);
    expect(getSetting('result_dir')).toBe('from-flag');
  });
});

describe('defaults', () => {
  it('an explicit default replaces the table default', async () => {
    await init({ cwd: tempDir() });
    expect(getSetting('result_dir', { default: 'mine' })).toBe('mine');
    expect(getSetting('result_dir')).toBe('.');
  });

  it('an explicit default does not beat a configured value', async () => {
    await init({ cwd: tempDir(), env: { B2_RESULT_DIR: '/env' } });
    expect(getSetting('result_dir', { default: 'mine' })).toBe('/env');
  });

  it('an optional setting without a value gives the explicit default, undefined included', async () => {
    await init({ cwd: tempDir() });
    expect(getSetting('job_name', { default: undefined })).toBeUndefined();
    expect(getSetting('job_name', { default: 'fallback' })).toBe('fallback');
  });

  it('an explicit default is normalised like any other value', async () => {
    await init({ cwd: tempDir() });
    expect(getSetting('memory', { default: '2GB' })).toBe(2048);
    expect(getSetting('walltime', { default: '90m' })).toBe(5400);
  });

  it('an optional setting without a value or default names the key and every place looked in', async () => {
    const dir = tempDir();
    const file = writeFile(dir, 'settings.json', {});
    await init({ cwd: dir });
    const task = { taskFamily: 'Reco' };
    expect(() => getSetting('job_name', { task })).toThrow(
      expect.objectContaining({
        name: 'UserError',
        reason: 'missing-setting',
        message: expect.stringMatching(
          new RegExp(
            [
              'No value for setting job_name',
              'the task Reco \\(job_name, jobName\\)',
              '--setting job_name=',
              'B2_JOB_NAME',
              'setSetting\\(\\)',
              `settings\\.json: ${file.replace(/[.]/g, '\\.')}`,
              'no default',
            ].join('.*'),
          ),
        ),
      }),
    );
  });

  it('a user-defined setting with no value anywhere is an error too', async () => {
    await init({ cwd: tempDir() });
    expect(() => getSetting('my_cut')).toThrow(/No value for setting my_cut.*B2_MY_CUT/);
  });

  it('working_dir defaults to the pipeline folder, else the working directory', async () => {
    const dir = tempDir();
    await initSettings({ cwd: dir, env: {}, flags: {}, pipelineDir: '/srv/ana' });
    expect(getSetting('working_dir')).toBe('/srv/ana');
    await initSettings({ cwd: dir, env: {}, flags: {} });
    expect(getSetting('working_dir')).toBe(dir);
  });

  it('executable defaults to this node and b2\'s bin/b2.js', async () => {
    await init({ cwd: tempDir() });
    const [node, bin] = getSetting<string[]>('executable');
    expect(node).toBe(process.execPath);
    expect(bin).toMatch(/\/bin\/b2\.js$/);
  });
});

describe('setSetting and clearSetting', () => {
  it('clearSetting falls back to the next layer and later lookups see it', async () => {
    await init({ cwd: tempDir(), env: {} });
    setSetting('retries', 3);
    expect(getSetting('retries')).toBe(3);
    clearSetting('retries');
    expect(getSetting('retries')).toBe(0);
    setSetting('retries', 5);
    expect(getSetting('retries')).toBe(5);
  });

  it('setSetting values survive a later initialisation (the pipeline may be imported first)', async () => {
    setSetting('log_dir', 'early');
    await init({ cwd: tempDir() });
    expect(getSetting('log_dir')).toBe('early');
  });

  it('setSetting of undefined clears the value', async () => {
    await init({ cwd: tempDir() });
    setSetting('queue', 'short');
    setSetting('queue', undefined);
    expect(getSetting('queue', { default: undefined })).toBeUndefined();
  });

  it('user-defined settings are untyped and found in every layer', async () => {
    const dir = tempDir();
    writeFile(dir, 'settings.json', { my_cut: { pt: 0.5 } });
    await init({ cwd: dir, env: { B2_MY_FLAG: 'true' } });
    setSetting('my_class', 'Reco');
    expect(getSetting('my_cut')).toEqual({ pt: 0.5 });
    expect(getSetting('my_flag')).toBe(true);
    expect(getSetting('my_class')).toBe('Reco');
  });

  it('getSetting works before any initialisation, on defaults and setSetting values', () => {
    expect(getSetting('shell')).toBe('bash');
    setSetting('shell', 'zsh');
    expect(getSetting('shell')).toBe('zsh');
  });
});
