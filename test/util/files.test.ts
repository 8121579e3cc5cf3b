/** Folder making that fails instead of spinning, and returns what it made. */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFolders } from '../../src/util/files.js';

const fresh = (): string => mkdtempSync(path.join(os.tmpdir(), 'b2-folders-'));

describe('makeFolders', () => {
  test('makes every missing level and returns the first folder it made', () => {
    const dir = fresh();
    expect(makeFolders(path.join(dir, 'a', 'b', 'c'))).toBe(path.join(dir, 'a'));
    expect(statSync(path.join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
  });

  test('returns undefined when the folder is there already', () => {
    const dir = fresh();
    expect(makeFolders(dir)).toBeUndefined();
  });

  test('a file on the way fails with ENOTDIR', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'file'), '');
    expect(() => makeFolders(path.join(dir, 'file', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  test('below /proc it fails with the system error, where a recursive mkdir never returns', () => {
    expect(() => makeFolders('/proc/b2-cannot-be-made/sub')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('makeFolders on what is there already', () => {
  test('a file where the folder should be fails with EEXIST, naming that path', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'taken'), '');
    expect(() => makeFolders(path.join(dir, 'taken'))).toThrow(expect.objectContaining({ code: 'EEXIST', path: path.join(dir, 'taken') }));
  });

  test('a folder there already gives undefined; a new one below it is the first made', () => {
    const dir = fresh();
    expect(makeFolders(path.join(dir, 'a'))).toBe(path.join(dir, 'a'));
    expect(makeFolders(path.join(dir, 'a'))).toBeUndefined();
    expect(makeFolders(path.join(dir, 'a', 'b'))).toBe(path.join(dir, 'a', 'b'));
  });
});
