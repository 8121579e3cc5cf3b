/** The apptainer stand-in reads argv as `apptainer exec` does: where options end, their forms, and its refusals. */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SHIM = path.join(path.dirname(new URL(import.meta.url).pathname), 'apptainer');
const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-apptainer-shim-'));
const image = path.join(dir, 'img.sif');
writeFileSync(image, 'SIF');
const log = path.join(dir, 'calls.jsonl');

const apptainer = (...args: string[]) => {
  writeFileSync(log, '');
  const result = spawnSync(SHIM, args, { encoding: 'utf8', env: { ...process.env, B2_APPTAINER_SHIM_LOG: log, FROM_HOST: 'h', APPTAINERENV_INNER: 'i' } });
  const lines = readFileSync(log, 'utf8').trim();
  return { ...result, call: lines === '' ? undefined : (JSON.parse(lines) as { globals: [string, string][]; options: [string, string][]; binds: unknown[]; command: string[]; image: string }) };
};

describe('apptainer stand-in', () => {
  test('global options before exec, exec options up to the image, the command after it untouched', () => {
    const result = apptainer('-q', '--debug', 'exec', '-e', '-B', `${dir}:/data:ro,/tmp`, `--bind=${dir}`, '--env', 'A=1,B=2', image, 'sh', '-c', 'echo "$A$B${FROM_HOST:-none}$INNER" "$@"', 'x', '--nv', '-B');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('12nonei --nv -B\n');
    expect(result.call!.globals).toEqual([['quiet', 'true'], ['debug', 'true']]);
    expect(result.call!.binds).toEqual([{ src: dir, dst: '/data', opts: 'ro' }, { src: '/tmp', dst: '/tmp' }, { src: dir, dst: dir }]);
    expect(result.call!.command).toEqual(['sh', '-c', 'echo "$A$B${FROM_HOST:-none}$INNER" "$@"', 'x', '--nv', '-B']);
  });

  test('grouped short flags and a short flag with its value attached', () => {
    const result = apptainer('exec', '-ec', `-B${dir}`, image, 'true');
    expect(result.status).toBe(0);
    expect(result.call!.options).toEqual([['cleanenv', 'true'], ['contain', 'true'], ['bind', dir]]);
  });

  test.each([
    [['exec', '--no-such-flag', image, 'true'], 'Error: unknown flag: --no-such-flag'],
    [['--bind', '/tmp', 'exec', image, 'true'], 'Error: unknown flag: --bind'],
    [['exec', '-Z', image, 'true'], "unknown shorthand flag: 'Z'"],
    [['exec', image], 'requires at least 2 arg(s), only received 1'],
    [['run', image, 'true'], 'runs only "exec"'],
    [['exec', path.join(dir, 'missing.sif'), 'true'], 'could not open image'],
    [['exec', '-B', path.join(dir, 'missing'), image, 'true'], "mount source " + path.join(dir, 'missing') + " doesn't exist"],
    [['exec', '-B', `${dir}:relative`, image, 'true'], 'destination must be an absolute path'],
    [['exec', '-B', `${dir}:/x:rx`, image, 'true'], 'invalid bind option rx'],
    [['exec', image, 'no-such-command-here'], 'executable file not found in $PATH'],
  ])('%j fails with 255', (args, message) => {
    const result = apptainer(...args);
    expect(result.status).toBe(255);
    expect(result.stderr).toContain(message);
  });

  test('a URI image is taken as it is; the status of the command is its own', () => {
    const result = apptainer('exec', 'docker://alpine:3', 'sh', '-c', 'exit 7');
    expect(result.status).toBe(7);
    expect(result.call!.image).toBe('docker://alpine:3');
  });
});
