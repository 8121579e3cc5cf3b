/**
 * Reads a journal as it grows: each call reads only the bytes appended since
 * the last one and parses the complete lines among them (a line still being
 * written waits for its newline). Read-only: it never opens the journal for
 * writing nor takes a lock, so the runner does not notice it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { StampedEntry } from '../journal/journal.js';

const CHUNK = 1024 * 1024;

export class JournalFollower {
  private offset = 0;
  private partial = Buffer.alloc(0);
  readonly entries: StampedEntry[] = [];

  constructor(readonly file: string) {}

  /** Read what was appended; true when new entries came (or the journal started over). */
  poll(): boolean {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return false;
    }
    let changed = false;
    if (size < this.offset) {
      // Replaced by a shorter file: read it afresh.
      this.offset = 0;
      this.partial = Buffer.alloc(0);
      this.entries.length = 0;
      changed = true;
    }
    if (size === this.offset) return changed;
    const before = this.entries.length;
    const fd = openSync(this.file, 'r');
    try {
      while (this.offset < size) {
        const buffer = Buffer.alloc(Math.min(CHUNK, size - this.offset));
        const read = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (read === 0) break;
        this.offset += read;
        this.take(buffer.subarray(0, read));
      }
    } finally {
      closeSync(fd);
    }
    return changed || this.entries.length !== before;
  }

  private take(chunk: Buffer): void {
    const data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const end = data.lastIndexOf(0x0a);
    if (end === -1) {
      this.partial = Buffer.from(data);
      return;
    }
    this.partial = Buffer.from(data.subarray(end + 1));
    for (const line of data.subarray(0, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        this.entries.push(JSON.parse(line) as StampedEntry);
      } catch {
        // A torn line (a crash mid-write) is skipped, as readJournal does.
      }
    }
  }
}
