/** The run index: run-level facts of a journal without reading it whole each time, and pruning of old finished runs. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournal, type JournalEntry } from '../../src/journal/journal.js';
import { listRunIds, newRunId, runDirAt } from '../../src/journal/run-dir.js';
import { pruneFinishedRuns, runSummary } from '../../src/journal/run-index.js';
import { foldJournal } from '../../src/journal/state.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const stateDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-index-'));
  made.push(dir);
  return dir;
};

let clock = 1_700_000_000_000;
const line = (entry: JournalEntry): string => `${JSON.stringify({ t: ++clock, ...entry })}\n`;

const started = (pid: number, pipeline = '/p/pipeline.ts'): JournalEntry => ({
  type: 'run-started', runId: 'r', pid, host: os.hostname(), pipeline, roots: ['All_x'], mode: 'batch', tag: 'b2_x', total: 3, toRun: 3,
});

const tasks = (count: number, params: Record<string, unknown> = {}): string =>
  Array.from({ length: count }, (_, k) =>
    line({ type: 'task', id: `T_${k}`, family: 'T', params: { k, ...params }, logDir: `/logs/${k}` }) +
    line({ type: 'submitted', id: `T_${k}`, attempt: 1, system: 'slurm', jobId: String(1000 + k) }) +
    line({ type: 'succeeded', id: `T_${k}`, attempt: 1 }),
  ).join('');

/** A run folder with this journal text; its id sorts after every earlier one. */
const writeRun = (dir: string, text: string, when = new Date(clock)): string => {
  const runId = newRunId(when);
  const run = runDirAt(dir, runId);
  mkdirSync(run.tasks, { recursive: true });
  appendFileSync(run.journal, text);
  return runId;
};

/** What foldJournal says of the run-level facts, the reference for the index. */
const folded = (dir: string, runId: string) => {
  const state = foldJournal(readJournal(runDirAt(dir, runId).journal));
  return { started: state.started, finished: state.finished, killRequested: state.killRequested, lastEntryAt: state.lastEntryAt };
};

const summarised = (dir: string, runId: string) => {
  const summary = runSummary(dir, runId);
  return { started: summary.started, finished: summary.finished, killRequested: summary.killRequested, lastEntryAt: summary.lastEntryAt };
};

describe('run index', () => {
  it('agrees with the whole journal on who runs it, whether it finished and when it last wrote', () => {
    const dir = stateDir();
    const resumed = writeRun(dir, line(started(11)) + tasks(50) + line({ type: 'kill-requested', by: 7, host: 'h' }) + line(started(22)) + tasks(5) + line({ type: 'run-finished', exitCode: 1, cpuMs: 30 }));
    const live = writeRun(dir, line(started(33)) + tasks(20));
    for (const runId of [resumed, live]) expect(summarised(dir, runId)).toEqual(folded(dir, runId));
    expect(runSummary(dir, resumed).started?.pid).toBe(22);
  });

  it('is not fooled by a parameter value that looks like a run-level entry', () => {
    const dir = stateDir();
    const runId = writeRun(dir, line(started(11)) + tasks(3, { type: 'run-finished', note: '"type":"run-started"' }));
    expect(runSummary(dir, runId).finished).toBeUndefined();
    expect(summarised(dir, runId)).toEqual(folded(dir, runId));
  });

  it('finds a run-started written after a torn line', () => {
    const dir = stateDir();
    const runId = writeRun(dir, line(started(11)) + tasks(2) + '{"t":1,"type":"subm' + line(started(44)));
    expect(runSummary(dir, runId).started?.pid).toBe(44);
  });

  it('reads only what was appended since it was last brought up to date', () => {
    const dir = stateDir();
    const runId = writeRun(dir, line(started(11)) + tasks(100));
    expect(runSummary(dir, runId).finished).toBeUndefined();
    const journal = runDirAt(dir, runId).journal;
    // Scribble over the part already indexed: were it read again, this "run-finished" would count.
    const fd = openSync(journal, 'r+');
    writeSync(fd, `${JSON.stringify({ t: 1, type: 'run-finished', exitCode: 9 })}\n`, 400);
    closeSync(fd);
    expect(runSummary(dir, runId).finished).toBeUndefined();
    appendFileSync(journal, line({ type: 'run-finished', exitCode: 0 }));
    expect(runSummary(dir, runId).finished).toMatchObject({ exitCode: 0 });
  });

  it('leaves a line still being written for next time', () => {
    const dir = stateDir();
    const runId = writeRun(dir, line(started(11)));
    const journal = runDirAt(dir, runId).journal;
    const finished = line({ type: 'run-finished', exitCode: 0 });
    appendFileSync(journal, finished.slice(0, 10));
    expect(runSummary(dir, runId).finished).toBeUndefined();
    appendFileSync(journal, finished.slice(10));
    expect(runSummary(dir, runId).finished).toMatchObject({ exitCode: 0 });
  });
});

describe('pruning finished runs', () => {
  it('keeps the newest finished runs and every unfinished one, however old', () => {
    const dir = stateDir();
    const day = 86_400_000;
    const at = (n: number): Date => new Date(Date.UTC(2026, 0, 1) + n * day);
    const finishedRun = (n: number): string => writeRun(dir, line(started(100 + n)) + tasks(2) + line({ type: 'run-finished', exitCode: n % 2 }), at(n));
    const oldUnfinished = writeRun(dir, line(started(999_999)) + tasks(2), at(0));
    const finished = [1, 2, 3, 4, 5, 6].map(finishedRun);
    const middleUnfinished = writeRun(dir, line(started(999_998)) + tasks(1), at(3.5));
    const notStarted = writeRun(dir, '', at(7));
    const removed = pruneFinishedRuns(dir, 2);
    expect(removed.sort()).toEqual(finished.slice(0, 4).sort());
    expect(listRunIds(dir)).toEqual([oldUnfinished, middleUnfinished, ...finished.slice(4), notStarted].sort());
    for (const runId of removed) expect(existsSync(runDirAt(dir, runId).dir)).toBe(false);
    expect(pruneFinishedRuns(dir, 2)).toEqual([]);
  });
});
