/**
 * The run page: one self-contained HTML file (its style, script and data
 * inline; a content security policy forbids any other source), the same
 * for `b2 report` and `b2 status --serve`. The script builds every section
 * from the data blob, and a live page replaces the blob as the run goes on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { templatesDir } from '../wrapper/render.js';
import { escapeHtml, jsonForScript } from './json-script.js';
import type { PageData } from './page-model.js';

/** What a served page adds: where its updates come from, and the kill button's token when allowed. */
export interface LiveOptions {
  readonly allowKill: boolean;
  readonly token?: string;
}

const asset = (name: string): string => readFileSync(path.join(templatesDir(), 'report', name), 'utf8');

export const renderPage = (data: PageData, live?: LiveOptions): string => {
  const connect = live ? "'self'" : "'none'";
  const policy = `default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src ${connect}; form-action 'none'; base-uri 'none'`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${policy}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>b2 run ${escapeHtml(data.runId)}</title>`,
    `<style>${asset('page.css')}</style>`,
    '</head>',
    '<body>',
    asset('page.html'),
    `<script type="application/json" id="b2-data">${jsonForScript(data)}</script>`,
    live ? `<script type="application/json" id="b2-live">${jsonForScript(live)}</script>` : '',
    `<script>${asset('page.js')}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
};
