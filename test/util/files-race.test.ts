/**
 * makeFolders when another process makes the same folder between its calls:
 * node:fs is wrapped so that the race happens at a chosen mkdir.
 */
import { expect, jest, test } from '@jest/globals';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let beforeMkdir: ((folder: string) => void) | undefined;
jest.unstable_mockModule('node:fs', () => ({
  ...fs,
  mkdirSync: (folder: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
    beforeMkdir?.(String(folder));
    return fs.mkdirSync(folder, options);
  },
}));
const { makeFolders } = await import('../../src/util/files.js');

/** Runs makeFolders(target) while another process makes `target` (with `make`) just before its second try. */
const racing = (make: (target: string) => void): { target: string; parent: string; call: () => string | undefined } => {
  const parent = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'b2-race-')), 'a');
  const target = path.join(parent, 'b');
  let tries = 0;
  beforeMkdir = (folder) => {
    if (folder === target && ++tries === 2) make(target);
  };
  return { target, parent, call: () => makeFolders(target) };
};

test('a file made where the folder goes, after b2 made its parent, fails with EEXIST', () => {
  const { target, call } = racing((at) => fs.writeFileSync(at, 'theirs'));
  expect(call).toThrow(expect.objectContaining({ code: 'EEXIST', path: target }));
});

test('a folder made there meanwhile is taken; the first folder made is still the parent b2 made', () => {
  const { target, parent, call } = racing((at) => fs.mkdirSync(at));
  expect(call()).toBe(parent);
  expect(fs.statSync(target).isDirectory()).toBe(true);
});
