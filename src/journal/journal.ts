/**
 * The run journal: one append-only JSON-lines file per run. Everything
 * `b2 status`, `b2 kill` and a re-attaching `b2 run` know about a run comes
 * from here. The intent to submit is written before the submit command runs
 * and the job id right after, each flushed to disk, so a crash at any
 * instant loses no job id. A torn last line (a crash mid-write) is skipped
 * on read, wherever it is: a writer that opens a journal ending in one ends
 * it first, so that its own entries start on a line of their own.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFully } from '../util/files.js';
import type { FailureReason } from '../run/failure.js';
import type { AttemptRecord } from '../run/resources.js';

export type JournalEntry =
  | {
      readonly type: 'run-started';
      readonly runId: string;
      readonly pid: number;
      readonly host: string;
      readonly pipeline: string;
      readonly roots: readonly string[];
      readonly mode: 'local' | 'batch' | 'test';
      readonly tag: string;
      readonly total: number;
      readonly toRun: number;
    }
  | { readonly type: 'task'; readonly id: string; readonly family: string; readonly params: Readonly<Record<string, unknown>>; readonly logDir: string }
  | { readonly type: 'started'; readonly id: string; readonly attempt: number; readonly system: string }
  | {
      readonly type: 'submit-intent';
      readonly id: string;
      readonly attempt: number;
      readonly system: string;
      /** A submit command for several jobs: its output file (relative to the run folder), and where this job's id is in it. */
      readonly group?: { readonly output: string; readonly index: number };
    }
  | { readonly type: 'submitted'; readonly id: string; readonly attempt: number; readonly system: string; readonly jobId: string }
  | { readonly type: 'submit-failed'; readonly id: string; readonly attempt: number; readonly system: string; readonly message: string }
  | { readonly type: 'succeeded'; readonly id: string; readonly attempt: number }
  | {
      readonly type: 'failed';
      readonly id: string;
      readonly attempt: number;
      readonly message: string;
      /** Absent in journals of older b2. */
      readonly reason?: FailureReason;
      readonly final: boolean;
      readonly exitCode?: number;
      readonly jobId?: string;
    }
  | { readonly type: 'cancelled'; readonly id: string; readonly attempt: number; readonly jobId?: string }
  /** What one attempt used (`measured`), or what is known of one that left no measurement (`unmeasured`). */
  | ({ readonly type: 'resources'; readonly id: string } & AttemptRecord)
  | { readonly type: 'not-run'; readonly ids: readonly string[] }
  | { readonly type: 'adopted'; readonly fromRun: string; readonly jobs: number }
  | { readonly type: 'kill-requested'; readonly by: number; readonly host: string }
    /** cpuMs: the runner's own CPU time (user + system), without the commands and local workers it started. */
  | { readonly type: 'run-finished'; readonly exitCode: number; readonly cpuMs?: number };

export type StampedEntry = JournalEntry & { readonly t: number };

export class JournalWriter {
  private fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a+');
    // Glued to a torn line, the next entry (a runner's run-started) would be unreadable too.
    if (!endsWithNewline(this.fd)) writeFully(this.fd, Buffer.from('\n'));
  }

  /** Append one entry; `durable` also waits until it is on disk. */
  append(entry: JournalEntry, durable = false): void {
    if (this.fd === -1) throw new Error(`journal ${this.file} is closed`);
    writeFully(this.fd, Buffer.from(`${JSON.stringify({ t: Date.now(), ...entry })}\n`));
    if (durable) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === -1) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** True for an empty file or one whose last byte is a newline. */
const endsWithNewline = (fd: number): boolean => {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
};

/** All complete entries; an unparsable line (a torn write, at the end or before a newer runner's entries) is skipped. */
export const readJournal = (file: string): StampedEntry[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const entries: StampedEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as StampedEntry);
    } catch {
      // A crash mid-write leaves a partial line; everything around it stands.
    }
  }
  return entries;
};
