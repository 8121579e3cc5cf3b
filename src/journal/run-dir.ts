/**
 * The state folder of runs: `<state_dir>/<run id>/` holds the journal, the
 * settings snapshot and task records that batch jobs read, and the run lock.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { journalOf, runDirAt, type RunDir } from '../run/layout.js';
import { makeFolders } from '../util/files.js';

export { runDirAt, type RunDir } from '../run/layout.js';

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
  makeFolders(run.tasks);
  return run;
};

/** Run ids in the state folder, oldest first. */
export const listRunIds = (stateDir: string): string[] => {
  if (!existsSync(stateDir)) return [];
  return readdirSync(stateDir)
    .filter((name) => existsSync(journalOf(stateDir, name)))
    .sort();
};

/**
 * The pipeline file a run was started for, from the first line of its
 * journal (its run-started); from the first readable run-started when that
 * line is torn (the runner died writing it, a later one took over).
 */
export const runPipelineFile = (run: RunDir): string | undefined => {
  try {
    const first = pipelineOf(firstLine(run.journal));
    if (first !== undefined) return first;
    for (const line of readFileSync(run.journal, 'utf8').split('\n')) {
      const pipeline = pipelineOf(line);
      if (pipeline !== undefined) return pipeline;
    }
  } catch {
    // No journal (yet): no pipeline.
  }
  return undefined;
};

const pipelineOf = (line: string): string | undefined => {
  try {
    const entry = JSON.parse(line) as { type?: unknown; pipeline?: unknown };
    return entry.type === 'run-started' && typeof entry.pipeline === 'string' ? entry.pipeline : undefined;
  } catch {
    return undefined;
  }
};

/** Ids of the runs started for this pipeline file (the same file by another path too), oldest first. */
export const listRunIdsOf = (stateDir: string, pipelineFile: string): string[] => {
  const wanted = realPath(pipelineFile);
  return listRunIds(stateDir).filter((runId) => {
    const recorded = runPipelineFile(runDirAt(stateDir, runId));
    return recorded !== undefined && (recorded === pipelineFile || realPath(recorded) === wanted);
  });
};

const realPath = (file: string): string => {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
};

// Only the first line: a long run's journal is large, and run-started comes first.
const firstLine = (file: string): string => {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let position = 0; ; ) {
      const chunk = Buffer.alloc(64 * 1024);
      const read = readSync(fd, chunk, 0, chunk.length, position);
      const end = chunk.subarray(0, read).indexOf(0x0a);
      chunks.push(chunk.subarray(0, end === -1 ? read : end));
      if (end !== -1 || read === 0) return Buffer.concat(chunks).toString('utf8');
      position += read;
    }
  } finally {
    closeSync(fd);
  }
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
