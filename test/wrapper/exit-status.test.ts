import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readExitStatusFile as readExitStatus } from '../../src/wrapper/wrapper.js';
import { exitStatusIn } from '../../src/journal/resume.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exitFileWith = (name: string, text: string): string => {
  const file = path.join(dir, name, 'exit_status');
  rmSync(path.dirname(file), { recursive: true, force: true });
  mkdirSync(path.dirname(file));
  writeFileSync(file, text);
  return file;
};

describe('reading a job exit-status file', () => {
  it.each([
    ['0\n', 0],
    ['3', 3],
    ['143\n', 143],
  ])('reads %j as %p, in the runner and on resume alike', (text, status) => {
    const file = exitFileWith(`ok-${status}`, text);
    expect(readExitStatus(file)).toBe(status);
    expect(exitStatusIn(path.dirname(file))).toBe(status);
  });

  it.each([['garbage\n'], ['-1\n'], ['1e3'], ['12 34'], [''], ['\n']])('takes %j for no exit status (never NaN), in the runner and on resume alike', (text) => {
    const file = exitFileWith(`bad-${Buffer.from(text).toString('hex')}`, text);
    expect(readExitStatus(file)).toBeUndefined();
    expect(exitStatusIn(path.dirname(file))).toBeUndefined();
  });

  it('takes a missing file for no exit status', () => {
    expect(readExitStatus(path.join(dir, 'none', 'exit_status'))).toBeUndefined();
  });
});
