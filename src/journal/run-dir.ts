/**
 * The state folder of runs: `<state_dir>/<run id>/` holds the journal, the
 * settings snapshot and task records that batch jobs read, and the run lock.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface RunDir {
  readonly runId: string;
  readonly dir: string;
  readonly journal: string;
  readonly settings: string;
  readonly tasks: string;
}

export const runDirAt = (stateDir: string, runId: string): RunDir => {
  const dir = path.join(stateDir, runId);
  return {
    runId,
    dir,
    journal: path.join(dir, 'journal.jsonl'),
    settings: path.join(dir, 'settings.json'),
    tasks: path.join(dir, 'tasks'),
  };
};

/**
 * Sortable by start time (to the millisecond: "the latest run" must not be a
 * coin toss between two started in the same second), unique across hosts.
 */
export const newRunId = (now = new Date()): string => {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '').slice(0, 18);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
};

export const createRunDir = (stateDir: string): RunDir => {
  const run = runDirAt(stateDir, newRunId());
  mkdirSync(run.tasks, { recursive: true });
  return run;
};

/** Run ids in the state folder, oldest first. */
export const listRunIds = (stateDir: string): string[] => {
  if (!existsSync(stateDir)) return [];
  return readdirSync(stateDir)
    .filter((name) => existsSync(path.join(stateDir, name, 'journal.jsonl')))
    .sort();
};

/** Write a file so that readers see the old or the new content, never half. */
export const writeFileAtomic = (file: string, content: string): void => {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
};

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

export const modifiedAt = (file: string): number | undefined => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
};
