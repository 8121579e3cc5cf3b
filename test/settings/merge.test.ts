import { beforeEach, describe, expect, it } from '@jest/globals';
import { explainSetting, getSetting, resetSettings, setSetting } from '../../src/settings/index.js';
import { init, projectDir, tempDir, writeFile } from './helpers.js';

beforeEach(() => resetSettings());

/** htcondor_settings given in every layer, each with one key of its own and one shared key. */
const arrangeAllLayers = async (): Promise<string> => {
  const top = projectDir();
  const dir = `${top}/ana`;
  writeFile(top, '.b2rc.json', { htcondor_settings: { shared: 'config', config: 1 } });
  writeFile(top, 'settings.json', { htcondor_settings: { shared: 'far-file', far: 1 } });
  writeFile(dir, 'settings.json', { htcondor_settings: { shared: 'near-file', near: 1 } });
  await init({
    cwd: dir,
    env: { B2_HTCONDOR_SETTINGS: '{"shared": "env", "env": 1}' },
    flags: { htcondor_settings: { shared: 'flag', flag: 1 } },
  });
  setSetting('htcondor_settings', { shared: 'set', set: 1 });
  return dir;
};

describe('object settings merge layer by layer', () => {
  it('merges default < config < files (far to near) < setSetting < env < flags < task, the more specific key winning', async () => {
    await arrangeAllLayers();
    const task = { htcondor_settings: { shared: 'task', task: 1 } };
    expect(getSetting('htcondor_settings', { task })).toEqual({
      shared: 'task', task: 1, flag: 1, env: 1, set: 1, near: 1, far: 1, config: 1,
    });
    expect(getSetting('htcondor_settings')).toEqual({
      shared: 'flag', flag: 1, env: 1, set: 1, near: 1, far: 1, config: 1,
    });
  });

  it('explains a merged value with every contributing source, highest first', async () => {
    await arrangeAllLayers();
    expect(explainSetting('htcondor_settings').source).toMatch(
      /^flag --setting htcondor_settings=\{.*\} \+ env B2_HTCONDOR_SETTINGS \+ setSetting\(\) in the pipeline \+ settings\.json: .*\/ana\/settings\.json \+ settings\.json: .*\/settings\.json \+ \.b2rc\.json: .*$/,
    );
    expect(explainSetting('htcondor_settings', { htcondorSettings: { x: 1 }, taskFamily: 'T' }).source).toMatch(
      /^task T \(attribute htcondorSettings\) \+ flag --setting htcondor_settings=/,
    );
  });

  it('merges env, batch_commands and the other record settings too', async () => {
    await init({ cwd: tempDir(), flags: { env: { A: '1' }, batch_commands: { sbatch: '/opt/bin/sbatch' } } });
    setSetting('env', { B: '2', A: 'lower' });
    setSetting('batch_commands', { squeue: ['ssh', 'head', 'squeue'] });
    const task = { env: { C: '3' }, slurm_settings: { partition: 'x' } };
    expect(getSetting('env', { task })).toEqual({ A: '1', B: '2', C: '3' });
    expect(getSetting('batch_commands')).toEqual({ sbatch: '/opt/bin/sbatch', squeue: ['ssh', 'head', 'squeue'] });
    expect(getSetting('slurm_settings', { task })).toEqual({ partition: 'x' });
  });

  it('replaces lists instead of merging them', async () => {
    await init({ cwd: tempDir(), flags: { executable_prefix: ['time'] } });
    setSetting('executable_prefix', ['strace', '-f']);
    expect(getSetting('executable_prefix')).toEqual(['time']);
    expect(getSetting('executable_prefix', { task: { executablePrefix: ['perf'] } })).toEqual(['perf']);
  });

  it('merges the layers over an explicit default', async () => {
    await init({ cwd: tempDir(), flags: { env: { A: '1' } } });
    expect(getSetting('env', { default: { A: '0', Z: '26' } })).toEqual({ A: '1', Z: '26' });
    expect(getSetting('env', { default: { Z: '26' }, task: { env: { T: 't' } } })).toEqual({ A: '1', Z: '26', T: 't' });
  });
});

describe('no leaks between tasks or into layers', () => {
  it('a task value never ends up in another task or in a layer', async () => {
    await init({ cwd: tempDir() });
    setSetting('htcondor_settings', { universe: 'vanilla' });
    const big = { htcondor_settings: { request_memory: '8 GB' } };
    const small = { htcondor_settings: { request_cpus: 1 } };
    expect(getSetting('htcondor_settings', { task: big })).toEqual({ universe: 'vanilla', request_memory: '8 GB' });
    expect(getSetting('htcondor_settings', { task: small })).toEqual({ universe: 'vanilla', request_cpus: 1 });
    expect(getSetting('htcondor_settings', { task: {} })).toEqual({ universe: 'vanilla' });
    expect(big.htcondor_settings).toEqual({ request_memory: '8 GB' });
  });

  it('changing a returned object changes nothing', async () => {
    const dir = tempDir();
    writeFile(dir, 'settings.json', { env: { A: '1' }, batch_commands: { bsub: ['ssh', 'lxplus', 'bsub'] }, my_setting: { deep: { list: [1] } } });
    await init({ cwd: dir });
    const env = getSetting<Record<string, string>>('env');
    env.A = 'changed';
    env.B = 'added';
    getSetting<Record<string, string[]>>('batch_commands').bsub!.push('-q');
    getSetting<{ deep: { list: number[] } }>('my_setting').deep.list.push(2);
    getSetting<Record<string, string>>('env', { task: { env: { T: '1' } } }).A = 'changed';
    expect(getSetting('env')).toEqual({ A: '1' });
    expect(getSetting('batch_commands')).toEqual({ bsub: ['ssh', 'lxplus', 'bsub'] });
    expect(getSetting('my_setting')).toEqual({ deep: { list: [1] } });
    expect(getSetting('env', { default: {} })).toEqual({ A: '1' });
  });

  it('changing an object after passing it to setSetting changes nothing', async () => {
    await init({ cwd: tempDir() });
    const mine = { A: '1' };
    setSetting('env', mine);
    mine.A = 'changed';
    const custom = { nested: ['x'] };
    setSetting('my_custom', custom);
    custom.nested.push('y');
    expect(getSetting('env')).toEqual({ A: '1' });
    expect(getSetting('my_custom')).toEqual({ nested: ['x'] });
  });

  it('the table defaults are never changed through a returned value', async () => {
    await init({ cwd: tempDir() });
    getSetting<Record<string, string>>('env').A = 'x';
    getSetting<string[]>('transfer_files').push('/etc/passwd');
    resetSettings();
    await init({ cwd: tempDir() });
    expect(getSetting('env')).toEqual({});
    expect(getSetting('transfer_files')).toEqual([]);
  });
});
