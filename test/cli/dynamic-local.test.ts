/**
 * Dynamic dependencies on local workers and in --test mode: a task that
 * requires tasks while it runs waits for them, also with one worker; what
 * cannot be made fails it with a clear message; loops are bad input.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { B2_BIN, makeProject, runB2 } from '../helpers/b2.js';
import { journalEntries, waitFor } from '../helpers/runs.js';
import { countedPipeline, examplePipeline, runCounts, runsLog } from '../helpers/dynamic.js';

let children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children = [];
});

describe('dynamic dependencies, locally', () => {
  it.each([
    ['one worker', ['--workers', '1']],
    ['four workers', ['--workers', '4']],
    ['--test', ['--test']],
  ])('the example runs with %s, await and yield alike', (_name, flags) => {
    const dir = makeProject({ 'pipeline.ts': examplePipeline() });
    const awaited = runB2(['run', 'pipeline.ts', 'MergeFiles', '--files', '4', ...flags], { cwd: dir });
    expect({ code: awaited.code, output: awaited.output }).toMatchObject({ code: 0 });
    expect(awaited.stdout).toMatch(/ProcessFile\s+0\s+4\s+0/);
    const merged = readFileSync(path.join(dir, 'results', 'files=4', 'merged.txt'), 'utf8');
    expect(merged.split('\n').filter(Boolean)).toEqual([0, 1, 2, 3].map((i) => `run_000${i}.dat: 12 characters`));

    const yielded = runB2(['run', 'pipeline.ts', 'MergeFilesYielding', '--files', '5', ...flags], { cwd: dir });
    expect({ code: yielded.code, output: yielded.output }).toMatchObject({ code: 0 });
    // The four files processed above are complete: only the fifth runs.
    expect(yielded.stdout).toMatch(/ProcessFile\s+0\s+1\s+0/);
    expect(readFileSync(path.join(dir, 'results', 'files=5', 'merged-yielding.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(5);
  }, 120_000);

  it('runs the requester once, waiting in its process, and journals the request', () => {
    const dir = makeProject({ 'pipeline.ts': countedPipeline() });
    const result = runB2(['run', 'pipeline.ts', '--workers', '1'], { cwd: dir });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'merged.txt'), 'utf8')).toBe('30');
    expect(runCounts(dir)).toEqual({ Count: 1, Merge: 1, 'Merge continues': 1, 'Piece 0': 1, 'Piece 1': 1, 'Piece 2': 1 });
    const requested = journalEntries(dir).filter((entry) => entry.type === 'requested');
    expect(requested).toEqual([expect.objectContaining({ added: 3, restart: false, tasks: expect.arrayContaining([expect.objectContaining({ family: 'Piece', params: { k: 2 } })]) })]);
    expect(journalEntries(dir).some((entry) => entry.type === 'resumed')).toBe(true);
    const status = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { total: number; counts: Record<string, number> };
    expect(status.total).toBe(5);
    expect(status.counts.succeeded).toBe(5);
  }, 60_000);

  it('b2 status shows a task waiting for its dependencies while they run', async () => {
    const dir = makeProject({ 'pipeline.ts': countedPipeline({ gated: true }) });
    const child = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--workers', '2', '--no-progress'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor('the request', () => journalEntries(dir).some((entry) => entry.type === 'requested'), 60_000);
    const text = runB2(['status'], { cwd: dir, env: { NO_COLOR: '1' } });
    expect(text.stdout).toContain('waiting for tasks they asked for while running:');
    expect(text.stdout).toContain('Merge()  waiting for 3 dependencies');
    const json = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { tasks: { family: string; phase: string; waitingFor?: number; requested?: string[] }[] };
    expect(json.tasks.find((task) => task.family === 'Merge')).toMatchObject({ phase: 'waiting', waitingFor: 3, requested: expect.any(Array) });
    writeFileSync(path.join(dir, 'go'), '');
    expect(await exited).toBe(0);
    expect(readFileSync(path.join(dir, 'merged.txt'), 'utf8')).toBe('30');
  }, 90_000);

  it('fails the requester with a clear message when a requested task fails', () => {
    const dir = makeProject({
      'pipeline.ts': countedPipeline({
        request: 'await this.require([new Piece({ k: 0 }), new Broken()])',
        extra: "export class Broken extends Task { *output() { yield this.addToOutput('broken.txt'); } run() { throw new Error('broken on purpose'); } }",
      }),
    });
    for (const flags of [['--workers', '1'], ['--test']]) {
      const result = runB2(['run', 'pipeline.ts', ...flags], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('failed: Broken()');
      expect(result.stdout).toContain('Broken(), which Merge() asked for, failed');
      expect(result.stdout).toMatch(/Merge\s+0\s+0\s+1/);
    }
  }, 60_000);

  it.each([
    ['itself', 'await this.require(new Merge())', '', 'Merge() -> Merge()'],
    ['a task that requires it', 'await this.require(new Loop())', 'export class Loop extends Task { requires() { return new Merge(); } *output() { yield this.addToOutput("loop.txt"); } run() {} }', 'Merge() -> Loop() -> Merge()'],
  ])('a request for %s is bad input naming the loop', (_name, request, extra, chain) => {
    const dir = makeProject({ 'pipeline.ts': countedPipeline({ request, extra }) });
    const result = runB2(['run', 'pipeline.ts', '--workers', '1', '--setting', 'retries=2'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.output).toContain(`Merge() asked at run time for a task that needs it: ${chain}`);
    // No retry mends a loop.
    expect(runCounts(dir).Merge).toBe(1);
  }, 60_000);

  it('a requested class that the pipeline does not export is bad input naming it', () => {
    const dir = makeProject({
      'pipeline.ts': countedPipeline({
        request: 'await this.require(new Hidden())',
        extra: "class Hidden extends Task { *output() { yield this.addToOutput('hidden.txt'); } run() {} }",
      }),
    });
    const result = runB2(['run', 'pipeline.ts', '--workers', '1'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.output).toContain('asked while running for a Hidden task, whose class the pipeline module does not export');
    expect(result.output).toContain('Export class Hidden from the pipeline file');
  }, 60_000);

  const startRunner = (dir: string, args: string[]): { child: ChildProcess; exited: Promise<number | null> } => {
    const child = spawn(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '--no-progress', ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
    children.push(child);
    return { child, exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)))) };
  };

  it('Ctrl-C while a task waits for what it asked for stops the run, the waiting task with it', async () => {
    const dir = makeProject({ 'pipeline.ts': countedPipeline({ gated: true }) });
    const { child, exited } = startRunner(dir, ['--workers', '1']);
    await waitFor('the pieces running', () => runsLog(dir).some((line) => line.startsWith('Piece')), 60_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const status = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as { tasks: { family: string; phase: string }[] };
    expect(status.tasks.find((task) => task.family === 'Merge')?.phase).toBe('cancelled');
  }, 90_000);

  it('a rerun after kill -9 while a task waits runs what it asked for first, then the task', async () => {
    const dir = makeProject({ 'pipeline.ts': countedPipeline({ gated: true }) });
    const first = startRunner(dir, ['--workers', '2']);
    await waitFor('the request', () => journalEntries(dir).some((entry) => entry.type === 'requested'), 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const before = runsLog(dir).length;
    writeFileSync(path.join(dir, 'go'), '');
    const rerun = runB2(['run', 'pipeline.ts', '--workers', '2'], { cwd: dir });
    expect({ code: rerun.code, output: rerun.output }).toMatchObject({ code: 0 });
    expect(rerun.stderr).toContain('resuming');
    expect(readFileSync(path.join(dir, 'merged.txt'), 'utf8')).toBe('30');
    // The pieces (their processes went with the runner) ran again, and only then Merge, which went on at once.
    const after = runsLog(dir).slice(before);
    expect(after.slice(0, 3).sort()).toEqual(['Piece 0', 'Piece 1', 'Piece 2']);
    expect(after.slice(3)).toEqual(['Merge', 'Merge continues']);
    expect(journalEntries(dir).filter((entry) => entry.type === 'requested')).toHaveLength(1);
  }, 90_000);
});
