import { beforeEach, describe, expect, it } from '@jest/globals';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { explainSetting, getSetting, resetSettings } from '../../src/settings/index.js';
import { init, projectDir, tempDir, writeFile } from './helpers.js';

beforeEach(() => resetSettings());

describe('settings.json from the working directory upward', () => {
  it('reads every settings.json up to the project root, the nearest winning', async () => {
    const top = projectDir();
    const cwd = path.join(top, 'a', 'b', 'c');
    writeFile(top, 'settings.json', { result_dir: 'top', log_dir: 'top-logs', shell: 'top-shell' });
    writeFile(path.join(top, 'a'), 'settings.json', { result_dir: 'a', log_dir: 'a-logs' });
    writeFile(cwd, 'settings.json', { result_dir: 'c' });
    await init({ cwd });
    expect(getSetting('result_dir')).toBe('c');
    expect(getSetting('log_dir')).toBe('a-logs');
    expect(getSetting('shell')).toBe('top-shell');
    expect(explainSetting('log_dir').source).toBe(`settings.json: ${path.join(top, 'a', 'settings.json')}`);
  });

  it('searches from the cwd given, not the process working directory or the pipeline folder', async () => {
    const cwd = tempDir();
    const pipelineDir = tempDir();
    writeFile(cwd, 'settings.json', { queue: 'from-cwd' });
    writeFile(pipelineDir, 'settings.json', { queue: 'from-pipeline' });
    await init({ cwd, pipelineDir });
    expect(getSetting('queue')).toBe('from-cwd');
  });

  it('with $B2_SETTINGS_JSON reads only that file, relative to the cwd', async () => {
    const cwd = tempDir();
    writeFile(cwd, 'settings.json', { result_dir: 'ignored', log_dir: 'ignored' });
    const site = writeFile(cwd, 'site/site.json', { result_dir: 'site' });
    await init({ cwd, env: { B2_SETTINGS_JSON: 'site/site.json' } });
    expect(getSetting('result_dir')).toBe('site');
    expect(getSetting('log_dir')).toBe('logs');
    expect(explainSetting('result_dir').source).toBe(`site.json: ${site}`);
  });

  it('rejects a $B2_SETTINGS_JSON that does not exist', async () => {
    const cwd = tempDir();
    await expect(init({ cwd, env: { B2_SETTINGS_JSON: '/nonexistent/settings.json' } })).rejects.toThrow(
      /B2_SETTINGS_JSON names \/nonexistent\/settings\.json, which does not exist/,
    );
  });

  it('rejects a settings.json that is not JSON, or not an object, naming the file', async () => {
    const broken = tempDir();
    const file = writeFile(broken, 'settings.json', '{"result_dir": ');
    await expect(init({ cwd: broken })).rejects.toThrow(new RegExp(`Cannot read settings file ${file}`));
    const list = tempDir();
    writeFile(list, 'settings.json', ['result_dir']);
    await expect(init({ cwd: list })).rejects.toThrow(/is not a JSON object of settings/);
  });

  it('reads the files once per working directory, until reset', async () => {
    const cwd = tempDir();
    const file = writeFile(cwd, 'settings.json', { queue: 'first' });
    await init({ cwd });
    writeFileSync(file, JSON.stringify({ queue: 'second' }));
    await init({ cwd });
    expect(getSetting('queue')).toBe('first');
    resetSettings();
    await init({ cwd });
    expect(getSetting('queue')).toBe('second');
  });

  it('does not keep a failed read: a fixed file is read again', async () => {
    const cwd = tempDir();
    const file = writeFile(cwd, 'settings.json', '{');
    await expect(init({ cwd })).rejects.toThrow(/Cannot read settings file/);
    writeFileSync(file, '{"queue": "fixed"}');
    await init({ cwd });
    expect(getSetting('queue')).toBe('fixed');
  });
});

describe('the b2 configuration (cosmiconfig)', () => {
  it('finds .b2rc.json in a parent folder', async () => {
    const top = projectDir();
    const rc = writeFile(top, '.b2rc.json', { batch_system: 'slurm' });
    const cwd = path.join(top, 'x', 'y');
    writeFile(cwd, 'data.txt', '');
    await init({ cwd });
    expect(getSetting('batch_system')).toBe('slurm');
    expect(explainSetting('batch_system').source).toBe(`.b2rc.json: ${rc}`);
  });

  it('reads the "b2" key of the package.json at the project root, from a subfolder', async () => {
    const top = tempDir();
    const pkg = writeFile(top, 'package.json', { name: 'site', b2: { queue: 'long', retries: 1 } });
    const cwd = path.join(top, 'src', 'ana');
    writeFile(cwd, 'data.txt', '');
    await init({ cwd });
    expect(getSetting('queue')).toBe('long');
    expect(explainSetting('retries').source).toBe(`package.json "b2": ${pkg}`);
  });

  it('stops at a package.json without a "b2" key: the folders above are another project', async () => {
    const top = tempDir();
    writeFile(top, 'package.json', { name: 'site', b2: { queue: 'long' } });
    const cwd = path.join(top, 'packages', 'ana');
    writeFile(cwd, 'package.json', { name: 'ana' });
    await init({ cwd });
    expect(getSetting('queue', { default: 'unset' })).toBe('unset');
  });

  it('loads b2.config.ts with types, and removes its temporary module', async () => {
    const top = projectDir();
    writeFile(
      top,
      'b2.config.ts',
      [
        "import type { SettingDefinition } from 'b2';",
        'interface Site { batch_system: string; memory: string; env: Record<string, string> }',
        'const memory: string = `${2 * 2}GB`;',
        "const site: Site = { batch_system: 'lsf', memory, env: { SITE: 'kek' } };",
        'export default site;',
      ].join('\n'),
    );
    const cwd = path.join(top, 'ana');
    writeFile(cwd, 'x', '');
    await init({ cwd });
    expect(getSetting('batch_system')).toBe('lsf');
    expect(getSetting('memory')).toBe(4096);
    expect(getSetting('env')).toEqual({ SITE: 'kek' });
    expect(explainSetting('memory').source).toBe(`b2.config.ts: ${path.join(top, 'b2.config.ts')}`);
    expect(readdirSync(top).sort()).toEqual(['.git', 'ana', 'b2.config.ts']);
  });

  it('loads YAML .b2rc and b2.config.mjs', async () => {
    const yaml = tempDir();
    writeFile(yaml, '.b2rc', 'batch_system: sge\nenv:\n  A: "1"\n');
    await init({ cwd: yaml });
    expect(getSetting('batch_system')).toBe('sge');
    expect(getSetting('env')).toEqual({ A: '1' });
    const mjs = tempDir();
    writeFile(mjs, 'b2.config.mjs', 'export default { workers: 40 };');
    await init({ cwd: mjs });
    expect(getSetting('workers')).toBe(40);
  });

  it('ranks below every settings.json, even a farther one', async () => {
    const top = projectDir();
    writeFile(top, 'settings.json', { queue: 'settings-json' });
    const cwd = path.join(top, 'ana');
    writeFile(cwd, '.b2rc.json', { queue: 'rc', job_name: 'rc-name' });
    await init({ cwd });
    expect(getSetting('queue')).toBe('settings-json');
    expect(getSetting('job_name')).toBe('rc-name');
  });

  it('rejects a configuration that does not parse or is not an object, naming the file', async () => {
    const broken = tempDir();
    const rc = writeFile(broken, '.b2rc.json', '{"queue": ');
    await expect(init({ cwd: broken })).rejects.toThrow(new RegExp(`Cannot read the b2 configuration ${rc}`));
    const scalar = tempDir();
    writeFile(scalar, 'b2.config.mjs', 'export default 42;');
    await expect(init({ cwd: scalar })).rejects.toThrow(/is not an object of settings/);
  });

  it('names the file and JSON path of a value of the wrong type', async () => {
    const cwd = tempDir();
    const rc = writeFile(cwd, '.b2rc.json', { htcondor_settings: { '+MaxRuntime': [7200] } });
    await expect(init({ cwd })).rejects.toThrow(
      `Bad value for setting htcondor_settings (from .b2rc.json: ${rc}, at $.htcondor_settings["+MaxRuntime"]): [7200] is not a string, number or boolean; htcondor_settings must be an object of strings, numbers and booleans.`,
    );
  });
});
