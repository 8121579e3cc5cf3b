import { describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JournalWriter, readJournal } from '../../src/journal/journal.js';
import { writeFully } from '../../src/util/files.js';

const journalFile = (content: string): string => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'b2-journal-')), 'journal.jsonl');
  writeFileSync(file, content);
  return file;
};

const STARTED = { type: 'run-started', runId: 'r', pid: 1, host: 'h', pipeline: '/p.ts', roots: [], mode: 'local', tag: 'b2_x', total: 1, toRun: 1 } as const;

describe('the run journal', () => {
  it('ends a torn last line before appending, so the next entry stays readable', () => {
    const file = journalFile('{"t":1,"type":"not-run","ids":[]}\n{"t":2,"type":"succ');
    const writer = new JournalWriter(file);
    writer.append(STARTED, true);
    writer.close();
    expect(readJournal(file).map((entry) => entry.type)).toEqual(['not-run', 'run-started']);
    expect(readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('reads past a torn line in the middle of the file', () => {
    const file = journalFile('{"t":1,"type":"not-run","ids":[]}\n{"t":2,"ty\n');
    appendFileSync(file, `${JSON.stringify({ t: 3, ...STARTED })}\n`);
    expect(readJournal(file).map((entry) => entry.type)).toEqual(['not-run', 'run-started']);
  });

  it('leaves a journal that ends with a newline, or is empty, as it is', () => {
    for (const content of ['', '{"t":1,"type":"not-run","ids":[]}\n']) {
      const file = journalFile(content);
      new JournalWriter(file).close();
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
  });

  it('writes everything when the system takes fewer bytes than asked at a time', () => {
    const written: number[] = [];
    const text = Buffer.from('{"t":1,"type":"not-run","ids":["a","b","c"]}\n');
    const shortWrite = (_fd: number, buffer: Uint8Array, offset: number, length: number): number => {
      const count = Math.min(length, 7);
      written.push(...buffer.subarray(offset, offset + count));
      return count;
    };
    writeFully(-1, text, shortWrite);
    expect(Buffer.from(written).toString()).toBe(text.toString());
  });
});
