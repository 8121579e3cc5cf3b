import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listRunIdsOf, newRunId, runDirAt } from '../../src/journal/run-dir.js';

describe('run ids', () => {
  it('sort by start time to the millisecond', () => {
    const first = newRunId(new Date('2026-11-25T00:20:04.123Z'));
    const second = newRunId(new Date('2026-11-25T00:20:04.124Z'));
    expect(first).toMatch(/^20261125-002004123-[0-9a-f]{6}$/);
    // Whatever the random suffixes: the later run sorts last.
    for (let n = 0; n < 20; n++) expect([newRunId(new Date('2026-11-25T00:20:04.124Z')), first].sort()[1]).not.toBe(first);
    expect([second, first].sort()).toEqual([first, second]);
  });
});

describe('runs of a pipeline file', () => {
  it('are the runs whose run-started names that file, by any path to it', () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'b2-runs-'));
    const project = mkdtempSync(path.join(os.tmpdir(), 'b2-project-'));
    const scan = path.join(project, 'scan.ts');
    writeFileSync(scan, '');
    symlinkSync(project, `${project}-link`);
    const start = (runId: string, pipeline: string): void => {
      mkdirSync(path.join(stateDir, runId));
      writeFileSync(runDirAt(stateDir, runId).journal, `${JSON.stringify({ t: 1, type: 'run-started', runId, pipeline, roots: ['x'.repeat(100_000)] })}\n{"t":2,"type":"not-run","ids":[]}\n`);
    };
    start('1', scan);
    start('2', path.join(project, 'fit.ts'));
    start('3', path.join(`${project}-link`, 'scan.ts'));
    start('4', path.join(project, 'fit.ts'));
    writeFileSync(runDirAt(stateDir, '4').journal, '{"t":1,"type":"run-sta');
    // A runner that died writing its first line, and one that took over.
    start('5', scan);
    writeFileSync(runDirAt(stateDir, '5').journal, `{"t":1,"type":"run-sta\n${JSON.stringify({ t: 2, type: 'run-started', pipeline: scan })}\n`);
    expect(listRunIdsOf(stateDir, scan)).toEqual(['1', '3', '5']);
    expect(listRunIdsOf(stateDir, path.join(project, 'fit.ts'))).toEqual(['2']);
  });
});
