import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { groupSubmitOutput, inRunDir, jobFilesIn, plannedFile, runDirAt, settingsSnapshotFile, submitOutputFile, taskRecordFile } from '../../src/run/layout.js';

const SRC = path.resolve('src');

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
  );

// The names of a run folder's files and of a job's status files, as a path.join would take them.
const RUN_NAMES = ['journal.jsonl', 'planned.json', 'summary.json', 'tasks', 'submit', '.lock', 'exit_status', 'b2_error.json', 'job.log', 'executable_wrapper.sh', 'stdout', 'stderr'];
const JOINED = new RegExp(`path\\.(join|resolve)\\([^)]*'(${RUN_NAMES.map((name) => name.replace('.', '\\.')).join('|')})'`);

describe('run layout', () => {
  it('is the only module that joins the names of a run folder or a job status file', () => {
    const joining = sourceFiles(SRC)
      .filter((file) => !file.endsWith(path.join('run', 'layout.ts')))
      .filter((file) => JOINED.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(joining).toEqual([]);
  });

  it('puts what the worker reads where the runner writes it', () => {
    const run = runDirAt('/state', 'run-1');
    expect(run.dir).toBe('/state/run-1');
    expect(settingsSnapshotFile(run.dir)).toBe(run.settings);
    expect(path.dirname(taskRecordFile(run.dir, 'T_1'))).toBe(run.tasks);
    expect(plannedFile(run)).toBe('/state/run-1/planned.json');
  });

  it('names a group submit output relative to the run folder, and one submit output inside it', () => {
    const run = runDirAt('/state', 'run-1');
    expect(inRunDir(run, groupSubmitOutput('T_1', 2))).toBe('/state/run-1/submit/group-T_1.2.out');
    expect(submitOutputFile(run, 'T_1', 2)).toBe('/state/run-1/submit/T_1.2.out');
  });

  it('keeps a job status files in its log folder', () => {
    const files = jobFilesIn('/logs/T');
    expect(Object.values(files).every((file) => path.dirname(file) === '/logs/T')).toBe(true);
    expect(files.exitStatus).toBe('/logs/T/exit_status');
  });
});
