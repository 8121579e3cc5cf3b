/**
 * A cheap index of the runs in the state folder, so that starting a run
 * costs the same with 5 or 500 runs of history: what decides whether a run
 * is live or resumable (who runs it, whether it finished) is kept in
 * `<run>/summary.json`, together with how much of the journal it covers.
 * Reading a run then costs a stat and a small file; only journal bytes
 * written since are scanned, and of those only the few lines that are
 * run-level entries are parsed. Also: pruning old finished runs.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import type { JournalEntry } from './journal.js';
import { listRunIds, runDirAt, writeFileAtomic } from './run-dir.js';
import { summaryFile } from '../run/layout.js';
import type { RunState } from './state.js';

type RunStarted = Extract<JournalEntry, { type: 'run-started' }> & { readonly t: number };

export interface RunSummary {
  readonly runId: string;
  /** The latest run-started: the pipeline, and who runs it now. */
  readonly started?: RunStarted;
  readonly finished?: { readonly exitCode: number; readonly t: number; readonly cpuMs?: number };
  readonly killRequested?: { readonly by: number; readonly host: string; readonly t: number };
  readonly lastEntryAt: number;
}

interface StoredSummary extends RunSummary {
  readonly version: 1;
  /** Journal bytes (whole lines) the summary covers. */
  readonly size: number;
}

const CHUNK_BYTES = 8 * 1024 * 1024;
const NEWLINE = 0x0a;
// How the journal writer lays out an entry: {"t":...,"type":"..."}; a match inside a
// value is told apart by parsing the line.
const RUN_LEVEL = [Buffer.from('"type":"run-started"'), Buffer.from('"type":"run-finished"'), Buffer.from('"type":"kill-requested"')];
const ENTRY_START = Buffer.from('{"t":');


const readStored = (file: string): StoredSummary | undefined => {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredSummary;
    return stored.version === 1 && Number.isSafeInteger(stored.size) ? stored : undefined;
  } catch {
    return undefined;
  }
};

/** The entry whose text holds `at`: its line parsed, or (a torn line before it) from the last entry start before `at`. */
const entryAround = (buffer: Buffer, at: number, lineStart: number, lineEnd: number): (JournalEntry & { t: number }) | undefined => {
  for (const start of [lineStart, buffer.lastIndexOf(ENTRY_START, at)]) {
    if (start < lineStart) continue;
    try {
      return JSON.parse(buffer.toString('utf8', start, lineEnd)) as JournalEntry & { t: number };
    } catch {
      // try the next candidate
    }
  }
  return undefined;
};

const apply = (summary: Omit<StoredSummary, 'size'>, entry: JournalEntry & { t: number }): Omit<StoredSummary, 'size'> => {
  switch (entry.type) {
    case 'run-started':
      return { ...summary, started: entry };
    case 'run-finished':
      return { ...summary, finished: { exitCode: entry.exitCode, t: entry.t, ...(entry.cpuMs === undefined ? {} : { cpuMs: entry.cpuMs }) } };
    case 'kill-requested':
      return { ...summary, killRequested: { by: entry.by, host: entry.host, t: entry.t } };
    default:
      return summary;
  }
};

/** Folds the run-level entries among the complete lines of `buffer` into `summary`. */
const foldLines = (buffer: Buffer, summary: Omit<StoredSummary, 'size'>): Omit<StoredSummary, 'size'> => {
  const hits: number[] = [];
  for (const pattern of RUN_LEVEL) {
    for (let at = buffer.indexOf(pattern); at !== -1; at = buffer.indexOf(pattern, at + pattern.length)) hits.push(at);
  }
  let folded = summary;
  for (const at of hits.sort((a, b) => a - b)) {
    const lineStart = buffer.lastIndexOf(NEWLINE, at) + 1;
    const lineEnd = buffer.indexOf(NEWLINE, at);
    const entry = entryAround(buffer, at, lineStart, lineEnd === -1 ? buffer.length : lineEnd);
    if (entry && (entry.type === 'run-started' || entry.type === 'run-finished' || entry.type === 'kill-requested')) folded = apply(folded, entry);
  }
  // The time of the last complete entry, for "dead since".
  const lastStart = buffer.lastIndexOf(NEWLINE, buffer.length - 2) + 1;
  const last = entryAround(buffer, buffer.length - 1, lastStart, buffer.length);
  return typeof last?.t === 'number' ? { ...folded, lastEntryAt: Math.max(folded.lastEntryAt, last.t) } : folded;
};

/** The summary brought up to date with the journal bytes written since it was made (all of them for a new one). */
const extend = (journal: string, stored: StoredSummary | undefined, runId: string): StoredSummary => {
  let fd: number;
  try {
    fd = openSync(journal, 'r');
  } catch {
    return { version: 1, runId, lastEntryAt: 0, size: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    // A journal shorter than its summary was replaced: start over.
    const base = stored !== undefined && stored.size <= size ? stored : undefined;
    let summary: Omit<StoredSummary, 'size'> = base ?? { version: 1, runId, lastEntryAt: 0 };
    let offset = base?.size ?? 0;
    let carry = Buffer.alloc(0);
    while (offset < size) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, size - offset));
      const read = readSync(fd, chunk, 0, chunk.length, offset);
      if (read === 0) break;
      offset += read;
      const buffer = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      const end = buffer.lastIndexOf(NEWLINE) + 1;
      if (end > 0) summary = foldLines(buffer.subarray(0, end), summary);
      carry = Buffer.from(buffer.subarray(end));
    }
    // A line still being written is left for next time.
    return { ...summary, runId, version: 1, size: offset - carry.length };
  } finally {
    closeSync(fd);
  }
};

/** The run's summary, brought up to date and stored again when the journal grew. */
export const runSummary = (stateDir: string, runId: string): RunSummary => {
  const file = summaryFile(stateDir, runId);
  const stored = readStored(file);
  const journal = runDirAt(stateDir, runId).journal;
  const summary = extend(journal, stored, runId);
  // Nothing indexed (no journal: a run being pruned) is not worth a file.
  if (summary.size > 0 && summary.size !== stored?.size) {
    try {
      writeFileAtomic(file, JSON.stringify(summary));
    } catch {
      // A state folder of another user, read-only here: the next reader scans again.
    }
  }
  const { version: _version, size: _size, ...plain } = summary;
  return plain;
};

/** The run-level part of a run's state, enough for runnerLiveness (no tasks). */
export const summaryState = (summary: RunSummary): RunState => ({
  tasks: new Map(),
  lastEntryAt: summary.lastEntryAt,
  ...(summary.started ? { started: summary.started } : {}),
  ...(summary.finished ? { finished: { ...summary.finished } } : {}),
  ...(summary.killRequested ? { killRequested: { ...summary.killRequested } } : {}),
});

/** Summaries of every run in the state folder, newest first, made as the caller goes. */
export function* newestRunSummaries(stateDir: string): Generator<RunSummary> {
  const ids = listRunIds(stateDir);
  for (let i = ids.length - 1; i >= 0; i--) yield runSummary(stateDir, ids[i]!);
}

/**
 * Removes every finished run but the newest `keep`: their journals, task
 * records and settings snapshots (logs and outputs are elsewhere and stay).
 * Live and unfinished runs, which a rerun or `b2 kill` may still need, are
 * never removed. Returns the run ids removed.
 */
export const pruneFinishedRuns = (stateDir: string, keep: number): string[] => {
  const finished: string[] = [];
  for (const summary of newestRunSummaries(stateDir)) if (summary.finished) finished.push(summary.runId);
  const removed = finished.slice(keep);
  return removed.filter((runId) => {
    const run = runDirAt(stateDir, runId);
    try {
      // The journal first: without it the folder is no longer a run to anyone listing them.
      rmSync(run.journal, { force: true });
      rmSync(run.dir, { recursive: true, force: true });
      return true;
    } catch {
      // Best effort (another b2 pruning the same run, files of another user): the next start tries again.
      return false;
    }
  });
};
