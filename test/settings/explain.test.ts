import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  SETTINGS,
  explainAllSettings,
  explainSetting,
  formatSettings,
  resetSettings,
  setSetting,
} from '../../src/settings/index.js';
import { init, tempDir, writeFile } from './helpers.js';

beforeEach(() => resetSettings());

describe('explainSetting', () => {
  it('gives the value, its source and the description', async () => {
    const cwd = tempDir();
    const file = writeFile(cwd, 'settings.json', { result_dir: '/data/r' });
    await init({ cwd });
    expect(explainSetting('result_dir')).toEqual({
      key: 'result_dir',
      value: '/data/r',
      source: `settings.json: ${file}`,
      description: 'base folder of output files',
    });
    expect(explainSetting('workers')).toEqual(expect.objectContaining({ value: 1, source: 'default' }));
  });

  it('says "not set" for an optional setting without a value', async () => {
    await init({ cwd: tempDir() });
    expect(explainSetting('queue')).toEqual(expect.objectContaining({ value: undefined, source: 'not set' }));
  });
});

describe('explainAllSettings', () => {
  it('lists every known setting with a value or default in table order, then pipeline-defined ones', async () => {
    await init({ cwd: tempDir(), flags: { queue: 'short' } });
    setSetting('my_cut', 0.3);
    const rows = explainAllSettings({ taskFamily: 'Reco', memory: () => '2GB' });
    const optional = new Set(SETTINGS.filter((s) => s.default === undefined).map((s) => s.key));
    const expectedKeys = SETTINGS.map((s) => s.key).filter((key) => !optional.has(key) || key === 'queue' || key === 'memory');
    expect(rows.map((row) => row.key)).toEqual([...expectedKeys, 'my_cut']);
    expect(rows.find((row) => row.key === 'memory')).toEqual(
      expect.objectContaining({ value: 2048, source: 'task Reco (method memory)' }),
    );
    expect(rows.at(-1)).toEqual({
      key: 'my_cut',
      value: 0.3,
      source: 'setSetting() in the pipeline',
      description: 'set by the pipeline or the user; b2 itself does not read it',
    });
  });
});

describe('formatSettings', () => {
  const rows = [
    { key: 'result_dir', value: '/data/r', source: 'settings.json: /home/u/ana/settings.json', description: 'base folder of output files' },
    { key: 'workers', value: 1, source: 'default', description: 'tasks in flight' },
    { key: 'env', value: { A: '1' }, source: 'env B2_ENV', description: 'environment' },
  ];

  it('prints one aligned line per setting with JSON-encoded values', () => {
    expect(formatSettings(rows, { json: false })).toBe(
      [
        'result_dir = "/data/r"  (settings.json: /home/u/ana/settings.json)',
        'workers    = 1          (default)',
        'env        = {"A":"1"}  (env B2_ENV)',
      ].join('\n'),
    );
  });

  it('does not let one long value push every source to the right', () => {
    const long = { key: 'executable', value: ['/usr/local/lib/nodejs/node-v20.20.2-linux-x64/bin/node', '/srv/b2/bin/b2.js'], source: 'default', description: '' };
    const lines = formatSettings([long, rows[1]!], { json: false }).split('\n');
    expect(lines[1]).toBe(`workers    = 1${' '.repeat(39)}  (default)`);
    expect(lines[0]).toMatch(/^executable = \["\/usr.*"\]  \(default\)$/);
  });

  it('gives a JSON array of key, value, source and description with --json', () => {
    expect(JSON.parse(formatSettings(rows, { json: true }))).toEqual(rows);
  });
});
