/**
 * `b2 status --serve` in a real headless Chromium, next to a live local run:
 * the page follows the run without a reload, is read-only unless
 * --allow-kill, and then its button (and nothing else) stops the run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'node:http';
import { averagePipeline, B2_BIN, makeProject, runB2 } from '../helpers/b2.js';
import { eventually, launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { waitFor } from '../helpers/runs.js';

let chromium: LaunchedBrowser;
const children: ChildProcess[] = [];
beforeAll(async () => {
  chromium = await launchBrowser();
}, 60_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await chromium?.close();
});

/** Ten tasks that wait for a file go-<n> in the project, under one that averages them. */
const gatedPipeline = (): string =>
  averagePipeline({
    body: `
      const { existsSync } = await import('node:fs');
      while (!existsSync(new URL('./go-' + this.some_parameter, import.meta.url))) await new Promise((r) => setTimeout(r, 50));`,
  }).replace('run() {', 'async run() {');

const start = (dir: string, args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } => {
  const child = spawn(process.execPath, [B2_BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
};

const inFlight = (dir: string): number => {
  const result = runB2(['status', '--json'], { cwd: dir });
  if (result.code !== 0) return -1;
  return (JSON.parse(result.stdout) as { counts: Record<string, number> }).counts.running ?? 0;
};

const startRunAndServer = async (serveArgs: string[]) => {
  const dir = makeProject({ 'pipeline.ts': gatedPipeline() });
  const run = start(dir, ['run', 'pipeline.ts', '-w', '10', '--no-progress']);
  await waitFor('ten running tasks', () => inFlight(dir) === 10, 30_000);
  const server = start(dir, ['status', '--serve', ...serveArgs]);
  await waitFor('the served URL', () => /http:\/\/\S+\//.test(server.output()), 30_000);
  const url = /(http:\/\/\S+\/)/.exec(server.output())![1]!;
  return { dir, run, server, url };
};

const release = (dir: string, numbers: number[]): void => {
  for (const n of numbers) writeFileSync(path.join(dir, `go-${n}`), '');
};

/** A raw HTTP request, with the headers a browser would not let a page forge. */
const send = (url: string, method: string, headers: Record<string, string>): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

const card = (page: import('playwright-core').Page, key: string): Promise<string> =>
  page.locator(`[data-count="${key}"] .n`).innerText().catch(() => '');

describe('b2 status --serve', () => {
  it('follows a live run without a reload, read-only: no kill button, and /kill refused', async () => {
    const { dir, run, server, url } = await startRunAndServer([]);
    expect(server.output()).toMatch(/^serving the latest run \(now \S+, following newer ones\) at http:\/\/127\.0\.0\.1:(\d+)\/ \(read-only\); Ctrl-C stops\nfrom another machine: ssh -L \1:127\.0\.0\.1:\1 \S+, then open http:\/\/127\.0\.0\.1:\1\/ there\n$/);
    const page = await chromium.context.newPage();
    await page.goto(url);
    expect(await card(page, 'in-flight')).toBe('10');
    expect(await card(page, 'succeeded')).toBe('0');
    expect(await page.locator('#kill-button').isVisible()).toBe(false);
    expect(await page.locator('#b2-live').textContent()).not.toContain('token');
    await page.evaluate(() => ((globalThis as unknown as { sameDocument: boolean }).sameDocument = true));

    release(dir, [0, 1, 2, 3, 4]);
    expect(await eventually(() => card(page, 'succeeded'), (n) => n === '5', 20_000)).toBe('5');
    expect(await card(page, 'in-flight')).toBe('5');
    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);

    const refused = await send(`${url}kill`, 'POST', {});
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('read-only');

    release(dir, [5, 6, 7, 8, 9]);
    expect(await run.exit).toBe(0);
    expect(await eventually(() => page.locator('#runner').innerText(), (text) => text === 'finished', 20_000)).toBe('finished');
    expect(await card(page, 'succeeded')).toBe('11');
    await page.close();
    server.child.kill("SIGINT");
    expect(await server.exit).toBe(0);
  }, 120_000);

  it('with --allow-kill, the button stops the run; requests without the token, from another origin or host are refused', async () => {
    const { dir, run, server, url } = await startRunAndServer(['--allow-kill', '--port', '0']);
    expect(server.output()).toContain('(with a kill button)');
    const page = await chromium.context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(url);
    expect(await page.locator('#kill-button').isVisible()).toBe(true);
    const token = (JSON.parse((await page.locator('#b2-live').textContent()) ?? '{}') as { token: string }).token;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    const host = new URL(url).host;

    expect((await send(`${url}kill`, 'POST', {})).status).toBe(403);
    expect((await send(`${url}kill`, 'POST', { 'X-B2-Token': 'f'.repeat(48) })).status).toBe(403);
    expect((await send(`${url}kill`, 'POST', { 'X-B2-Token': 'é'.repeat(48) })).status).toBe(403);
    expect((await send(`${url}kill`, 'POST', { 'X-B2-Token': token, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await send(`${url}kill`, 'POST', { 'X-B2-Token': token, Host: `evil.example:${new URL(url).port}` })).status).toBe(403);
    expect((await send(`${url}kill`, 'GET', { 'X-B2-Token': token, Origin: `http://${host}` })).status).toBe(405);
    expect(run.child.exitCode).toBeNull();

    await page.locator('#kill-button').click();
    expect(await run.exit).toBe(130);
    expect(await eventually(() => page.locator('#kill-result').innerText(), (text) => text.includes('run '), 30_000)).toMatch(/run \S+/);
    const runs = path.join(dir, '.b2', 'runs');
    const journal = readFileSync(path.join(runs, readdirSync(runs).find((name) => !name.startsWith('.'))!, 'journal.jsonl'), 'utf8');
    expect(journal).toContain('"type":"kill-requested"');
    expect(await eventually(() => card(page, 'cancelled'), (n) => n === '10', 20_000)).toBe('10');
    await page.close();
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  }, 120_000);
});
