#!/usr/bin/env node
/**
 * Keeps the README's settings reference in step with the settings table:
 * rewrites what lies between the settings-table markers from
 * settingsMarkdown() in dist/ (run `npm run build` first).
 *
 *   node scripts/sync-readme.mjs            rewrite README.md
 *   node scripts/sync-readme.mjs --check    exit 1 if README.md is out of date
 *   --readme FILE                           another file (the tests use a copy)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const START = '<!-- settings-table:start -->';
const END = '<!-- settings-table:end -->';

const fail = (message) => {
  process.stderr.write(`sync-readme: ${message}\n`);
  process.exit(2);
};

const args = process.argv.slice(2);
const check = args.includes('--check');
const at = args.indexOf('--readme');
const readme = at === -1 ? path.join(ROOT, 'README.md') : path.resolve(args[at + 1] ?? fail('--readme needs a file'));

const tableModule = path.join(ROOT, 'dist', 'internals.js');
if (!existsSync(tableModule)) fail(`${tableModule} is missing: run npm run build first`);
const { settingsMarkdown } = await import(pathToFileURL(tableModule).href);

const text = readFileSync(readme, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start === -1 || end === -1 || end < start) fail(`${readme} lacks the markers ${START} ... ${END}`);

const synced = `${text.slice(0, start + START.length)}\n${settingsMarkdown()}\n${text.slice(end)}`;
if (synced === text) process.exit(0);
if (check) {
  process.stderr.write(`sync-readme: the settings reference in ${readme} is out of date; run node scripts/sync-readme.mjs\n`);
  process.exit(1);
}
writeFileSync(readme, synced);
process.stdout.write(`sync-readme: updated the settings reference in ${readme}\n`);
