/** `b2 report` and `b2 status --serve` without a browser: what they write and how they refuse bad input. */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { averagePipeline, B2_BIN, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';
import { writeSyntheticRun } from '../helpers/synthetic-run.js';

describe('b2 report', () => {
  it('writes one self-contained page: its data inline, no outside source, no network allowed', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    expect(runB2(['run', 'pipeline.ts'], { cwd: dir }).code).toBe(0);
    const result = runB2(['report'], { cwd: dir });
    expect(result.code).toBe(0);
    const file = /to (\S+\.html)\n$/.exec(result.stdout)![1]!;
    expect(path.basename(file)).toMatch(/^b2-report-\d{8}-\d{9}-[0-9a-f]{6}\.html$/);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain(`connect-src 'none'`);
    expect(html).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//);
    const data = JSON.parse(/<script type="application\/json" id="b2-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { counts: Record<string, number>; total: number };
    expect(data.total).toBe(11);
    expect(data.counts.succeeded).toBe(11);
  });

  it('refuses an unknown run, or a folder without runs, with exit code 2', () => {
    const dir = makeProject({});
    writeSyntheticRun(dir, { tasks: 3 });
    const unknown = runB2(['report', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: No run "nope"');
    expect(unknown.output).not.toMatch(STACK_LINE);
    const empty = runB2(['report'], { cwd: makeProject({}) });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('error: No runs found');
  });
});

/** Every file under `dir` with its size and modification time. */
const snapshot = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const stats = statSync(file);
      return `${path.relative(dir, file)} ${stats.size} ${stats.mtimeMs}`;
    })
    .sort();

describe('b2 status --serve', () => {
  it('serves the page, its data and its event stream, and writes nothing in the state folder', async () => {
    const dir = makeProject({});
    const run = writeSyntheticRun(dir, { tasks: 30, failEvery: 7 });
    const before = snapshot(run.stateDir);
    const child = spawn(process.execPath, [B2_BIN, 'status', '--serve'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    while (!/http:\/\/\S+\//.test(stdout)) await new Promise((resolve) => setTimeout(resolve, 50));
    const url = /(http:\/\/\S+\/)/.exec(stdout)![1]!;
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script type="application/json" id="b2-live">{"allowKill":false}</script>');
    const data = (await (await fetch(`${url}data.json`)).json()) as { total: number; failedTasks: number };
    expect(data).toMatchObject({ total: 30, failedTasks: run.failed });
    const events = await fetch(`${url}events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = events.body!.getReader();
    let first = '';
    while (!first.includes('\n\n')) first += new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^retry: 2000\ndata: \{"runId":"/);
    await reader.cancel();
    expect((await fetch(`${url}nothing`)).status).toBe(404);
    expect(snapshot(run.stateDir)).toEqual(before);

    // Without a run named, the page moves on to a run started later.
    writeSyntheticRun(dir, { tasks: 5, runId: '20260102-000000000-fedcba' });
    const deadline = Date.now() + 15_000;
    let now = data as { runId?: string; total: number };
    while (now.runId !== '20260102-000000000-fedcba' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      now = (await (await fetch(`${url}data.json`)).json()) as { runId: string; total: number };
    }
    expect(now).toMatchObject({ runId: '20260102-000000000-fedcba', total: 5 });
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  });

  it('stays on the run it was given, when one is named', async () => {
    const dir = makeProject({});
    const run = writeSyntheticRun(dir, { tasks: 4 });
    const child = spawn(process.execPath, [B2_BIN, 'status', '--serve', run.runId.slice(-6)], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    while (!/http:\/\/\S+\//.test(stdout)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stdout).toMatch(new RegExp(`^serving run ${run.runId} at `));
    const url = /(http:\/\/\S+\/)/.exec(stdout)![1]!;
    writeSyntheticRun(dir, { tasks: 5, runId: '20260102-000000000-fedcba' });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await (await fetch(`${url}data.json`)).json()).toMatchObject({ runId: run.runId, total: 4 });
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  });
});

describe('b2 status --serve, bad input', () => {
  it('refuses a port that is no port, and a port in use, with exit code 2 and a hint, leaving nothing running', async () => {
    const dir = makeProject({});
    writeSyntheticRun(dir, { tasks: 3 });
    const bad = runB2(['status', '--serve', '--port', 'http'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port needs a port number from 0 to 65535, got "http"');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const child = spawn(process.execPath, [B2_BIN, 'status', '--serve', '--port', String(port)], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    taken.close();
    expect(code).toBe(2);
    expect(stderr).toContain(`error: Cannot listen on 127.0.0.1 port ${port}: EADDRINUSE.`);
    expect(stderr).toContain('--port 0 for a free one');
  });
});
