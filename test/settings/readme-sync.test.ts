/**
 * The README's settings reference is generated from the settings table by
 * scripts/sync-readme.mjs; these tests fail when someone changes the table
 * without running it, and check the script itself on copies of the README.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { settingsMarkdown } from '../../src/settings/table.js';
import { ROOT } from '../helpers/b2.js';
import { tempDir, writeFile } from './helpers.js';

const START = '<!-- settings-table:start -->';
const END = '<!-- settings-table:end -->';
const SCRIPT = path.join(ROOT, 'scripts', 'sync-readme.mjs');
const README = path.join(ROOT, 'README.md');

const section = (text: string): string => text.slice(text.indexOf(START) + START.length, text.indexOf(END));

const sync = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

describe('README settings reference', () => {
  it('matches the settings table (run node scripts/sync-readme.mjs after changing the table)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain(START);
    expect(readme).toContain(END);
    expect(section(readme)).toBe(`\n${settingsMarkdown()}\n`);
  });

  it('passes the script\'s own --check', () => {
    const result = sync('--check');
    expect([result.status, result.stderr]).toEqual([0, '']);
  });
});

describe('scripts/sync-readme.mjs', () => {
  const stale = `# Title\n\nbefore\n\n${START}\n| old | table |\n${END}\n\nafter\n`;

  it('--check exits 1 on an out-of-date section, naming the file, and changes nothing', () => {
    const file = writeFile(tempDir(), 'README.md', stale);
    const result = sync('--check', '--readme', file);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${file} is out of date`);
    expect(readFileSync(file, 'utf8')).toBe(stale);
  });

  it('rewrites only what lies between the markers', () => {
    const file = writeFile(tempDir(), 'README.md', stale);
    expect(sync('--readme', file).status).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(`# Title\n\nbefore\n\n${START}\n${settingsMarkdown()}\n${END}\n\nafter\n`);
    expect(sync('--check', '--readme', file).status).toBe(0);
  });

  it('refuses a file without the markers', () => {
    const file = writeFile(tempDir(), 'README.md', '# no markers\n');
    const result = sync('--readme', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('lacks the markers');
  });
});
