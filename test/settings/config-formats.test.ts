/** The remaining cosmiconfig file names the README promises, each found from a subfolder. */
import { beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { explainSetting, getSetting, resetSettings } from '../../src/settings/index.js';
import { init, tempDir, writeFile } from './helpers.js';

beforeEach(() => resetSettings());

describe('b2 configuration file names', () => {
  it.each([
    ['.b2rc.yaml', 'queue: long\nenv:\n  SITE: kek\n'],
    ['.b2rc.yml', 'queue: long\nenv:\n  SITE: kek\n'],
    ['.b2rc', '{"queue": "long", "env": {"SITE": "kek"}}'],
    ['b2.config.js', "export default { queue: 'long', env: { SITE: 'kek' } };"],
    ['.config/b2rc.json', '{"queue": "long", "env": {"SITE": "kek"}}'],
  ])('%s in a parent folder', async (name, content) => {
    const top = tempDir();
    // b2.config.js is ESM like the package that holds it.
    writeFile(top, 'package.json', { name: 'site', type: 'module' });
    const file = writeFile(top, name, content);
    const cwd = path.join(top, 'ana', 'run');
    writeFile(cwd, 'pipeline.ts', '');
    await init({ cwd });
    expect(getSetting('queue')).toBe('long');
    expect(getSetting('env')).toEqual({ SITE: 'kek' });
    expect(explainSetting('queue').source).toBe(`${path.basename(name)}: ${file}`);
  });

  it('the nearest configuration wins; a farther one is not merged in', async () => {
    const top = tempDir();
    writeFile(top, '.b2rc.json', { queue: 'far', job_name: 'far' });
    const cwd = path.join(top, 'ana');
    writeFile(cwd, '.b2rc.yaml', 'queue: near\n');
    await init({ cwd });
    expect(getSetting('queue')).toBe('near');
    expect(getSetting('job_name', { default: 'unset' })).toBe('unset');
  });
});
