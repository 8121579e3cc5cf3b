/**
 * `b2 report` in a real headless Chromium: the page shows the run's counts,
 * families, failures, graph and tasks; a 100,000-task report is usable in
 * under 3 s; hostile values stay text. The page never touches the network.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { averagePipeline, makeProject, runB2 } from '../helpers/b2.js';
import { eventually, launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { hostileValues } from '../helpers/hostile-values.js';
import { writeSyntheticRun } from '../helpers/synthetic-run.js';
import { burnPipeline } from '../cli/resources-fixtures.js';

let chromium: LaunchedBrowser;
beforeAll(async () => {
  chromium = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await chromium?.close();
});

interface Opened {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

const open = async (file: string): Promise<Opened> => {
  const page = await chromium.context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => (message.type() === 'error' ? errors.push(message.text()) : undefined));
  page.on('request', (request) => requests.push(request.url()));
  page.on('dialog', (dialog) => void dialog.dismiss());
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (globalThis as unknown as { __b2?: unknown }).__b2 !== undefined, undefined, { timeout: 30_000 });
  return { page, errors, requests };
};

const card = (page: Page, key: string): Promise<string> => page.locator(`[data-count="${key}"] .n`).innerText();
const visibleRows = (page: Page): Promise<number> => page.locator('#task-rows .row').count();

describe('b2 report', () => {
  it('shows a finished local run: counts, families, the failure with its log tail, the graph and the task table', async () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ failOn: 3 }) });
    expect(runB2(['run', 'pipeline.ts', '-w', '2'], { cwd: dir }).code).toBe(1);
    const result = runB2(['report', '-o', 'report.html'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote the report of run \S+ \(11 tasks\) to .*report\.html\n$/);
    const { page, errors, requests } = await open(path.join(dir, 'report.html'));
    expect(await card(page, 'total')).toBe('11');
    expect(await card(page, 'succeeded')).toBe('9');
    expect(await card(page, 'failed')).toBe('1');
    expect(await card(page, 'not-run')).toBe('1');
    expect(await page.locator('#families tbody tr').count()).toBe(2);
    expect(await page.locator('#families tr[data-family="MyNumberTask"] td').nth(4).innerText()).toBe('1');
    const failure = page.locator('details.failure').first();
    expect(await failure.locator('summary').innerText()).toContain('some_parameter 3 is not allowed');
    expect(await failure.locator('pre.tail').innerText()).toContain('about to fail');
    expect(await page.locator('#graph svg g.node').count()).toBe(2);
    expect(await page.locator('#graph svg g.edge').count()).toBe(1);
    expect(await page.locator('#table-count').innerText()).toBe('11');
    expect(await visibleRows(page)).toBe(11);
    await page.selectOption('#filter-phase', 'failed');
    expect(await eventually(() => page.locator('#table-count').innerText(), (text) => text === '1 of 11')).toBe('1 of 11');
    expect(await page.locator('#task-rows .row').first().innerText()).toContain('MyNumberTask(some_parameter=3)');
    expect(errors).toEqual([]);
    expect(requests.every((url) => url.startsWith('file://'))).toBe(true);
    await page.close();
  });

  it('shows what the tasks of a local run used, as its workers measured it: per family, per task and on the timeline', async () => {
    const dir = makeProject({ 'pipeline.ts': burnPipeline() });
    const run = runB2(['run', 'pipeline.ts', '--workers', '2', '--setting', 'memory=1GB', '--setting', 'cpus=2'], { cwd: dir });
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    expect(runB2(['report', '-o', 'measured.html'], { cwd: dir }).code).toBe(0);
    const { page, errors } = await open(path.join(dir, 'measured.html'));
    const burn = page.locator('#families tr[data-family="Burn"] td');
    expect(await burn.nth(2).innerText()).toBe('3');
    expect(await burn.nth(6).innerText()).toMatch(/^\d+(\.\d)? s \/ \d+(\.\d)? s$/);
    expect(await burn.nth(8).innerText()).toMatch(/^\d+%$/);
    const [rssP95] = (await burn.nth(9).innerText()).split(' / ');
    expect(Number(/^(\d+) MB$/.exec(rssP95!)?.[1])).toBeGreaterThanOrEqual(80);
    expect(await burn.nth(10).innerText()).toMatch(/^\d+% of 1\.0 GB$/);
    await page.selectOption('#filter-family', 'Burn');
    const cells = await page.locator('#task-rows .row').first().locator('div').allInnerTexts();
    // task, family, state, attempt, queue (none: local), start, wall, cpu, rss, host
    expect(cells.slice(1, 4)).toEqual(['Burn', 'succeeded', '1']);
    expect(cells[4]).toBe('');
    for (const cell of cells.slice(5)) expect(cell).not.toBe('');
    expect(await page.locator('#timeline-note').innerText()).toBe('one row per task (4)');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a report of 100,000 tasks renders its table in under 3 s, keeps the DOM bounded and scrolls to the last task', async () => {
    const dir = makeProject({});
    const run = writeSyntheticRun(dir, { tasks: 100_000, failEvery: 250 });
    const started = Date.now();
    const result = runB2(['report', '--state-dir', run.stateDir, '-o', 'big.html'], { cwd: dir });
    const generateMs = Date.now() - started;
    expect(result.code).toBe(0);
    const file = path.join(dir, 'big.html');
    const { page, errors } = await open(file);
    const firstRender = await page.evaluate(() => (globalThis as unknown as { __b2: { firstTableRender: number } }).__b2.firstTableRender);
    process.stdout.write(`100,000-task report: generated in ${generateMs} ms, ${(statSync(file).size / 1e6).toFixed(1)} MB, table first rendered ${Math.round(firstRender)} ms after navigation start\n`);
    expect(firstRender).toBeLessThan(3000);
    expect(await card(page, 'total')).toBe('100,000');
    expect(await card(page, 'failed')).toBe(String(run.failed));
    expect(await page.locator('#table-count').innerText()).toBe('100,000');
    expect(await visibleRows(page)).toBeLessThan(60);
    expect(await page.locator('*').count()).toBeLessThan(3000);
    await page.locator('#task-viewport').evaluate((viewport) => (viewport.scrollTop = viewport.scrollHeight));
    expect(await eventually(() => page.locator('#task-rows .row').last().innerText(), (text) => text.includes('event_batch=99999'))).toContain('event_batch=99999');
    await page.selectOption('#filter-family', 'Analyse');
    expect(await eventually(() => page.locator('#table-count').innerText(), (text) => text === '33,333 of 100,000')).toBe('33,333 of 100,000');
    await page.locator('#task-head [data-column="task"]').click();
    await page.locator('#task-head [data-column="task"]').click();
    expect(await eventually(() => page.locator('#task-rows .row').first().innerText(), (text) => text.includes('event_batch=99998'))).toContain('Analyse(event_batch=99998');
    expect(await page.locator('#timeline-note').innerText()).toContain('per family');
    expect(await page.locator('#families tr[data-family="Simulate"] td').nth(8).innerText()).toBe('80%');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows hostile values in parameters, messages and log tails as text: no markup, no script runs', async () => {
    const dir = makeProject({});
    const values = [...hostileValues(400), '</script><script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">', '<!--', '\u2028\u2029', '<svg onload="window.__pwned=1">'];
    const run = writeSyntheticRun(dir, { tasks: values.length, failEvery: 1, text: (i) => values[i]!, families: ['Hostile'] });
    expect(runB2(['report', '--state-dir', run.stateDir, '-o', 'hostile.html'], { cwd: dir }).code).toBe(0);
    const html = readFileSync(path.join(dir, 'hostile.html'), 'utf8');
    expect(html.match(/<script/g)).toHaveLength(2);
    const { page, errors, requests } = await open(path.join(dir, 'hostile.html'));
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.locator('img, iframe, object, embed').count()).toBe(0);
    expect(await card(page, 'failed')).toBe(String(values.length));
    const rendered = await page.locator('#task-rows .row').first().locator('div').first().innerText();
    expect(rendered.startsWith('Hostile(event_batch=0, label=')).toBe(true);
    expect(errors).toEqual([]);
    expect(requests.every((url) => url.startsWith('file://'))).toBe(true);
    await page.close();
  });
});
