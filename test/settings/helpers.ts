/** Temporary folders and settings files for the settings tests; cwd is always passed, never changed. */
import { afterAll } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSettings, type SettingsInit } from '../../src/settings/index.js';

const made: string[] = [];

// Registered once per test file that imports these helpers.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system temp folder, removed after the test file. */
export const tempDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-settings-'));
  made.push(dir);
  return dir;
};

/** A fresh temporary folder that is a project root (it holds .git): settings files are searched up to it. */
export const projectDir = (): string => {
  const dir = tempDir();
  mkdirSync(path.join(dir, '.git'));
  return dir;
};

/** Writes `content` (JSON-encoded unless a string) to dir/name, creating folders. */
export const writeFile = (dir: string, name: string, content: unknown): string => {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

/** initSettings with nothing from the real environment unless given. */
export const init = (options: Partial<SettingsInit> & { cwd: string }): Promise<void> =>
  initSettings({ env: {}, flags: {}, pipelineDir: options.cwd, ...options });
