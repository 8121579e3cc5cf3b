/**
 * The file a batch job leaves when its task asked for incomplete tasks:
 * `{ "requester": id, "tasks": [task record, ...] }` next to its exit-status
 * file, each task in the form of the job's own `--task-record` (pipeline
 * bundle, file, and the path of refs to the task). Written by `b2 worker`
 * before it exits with NEEDS_DEPENDENCIES_STATUS, read by the runner.
 */
import { readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import type { TaskRef } from './reconstruct.js';

export interface RequestedRecord {
  readonly requester: string;
  readonly tasks: readonly { readonly path: readonly TaskRef[]; readonly bundle: string; readonly file: string }[];
}

/** Whole or not at all: the runner may read it the moment the exit status appears. */
export const writeRequestedRecord = (file: string, record: RequestedRecord): void => {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(record));
  renameSync(temporary, file);
};

export const clearRequestedRecord = (file: string): void => rmSync(file, { force: true });

const isRef = (value: unknown): value is TaskRef =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as TaskRef).id === 'string' &&
  typeof (value as TaskRef).family === 'string' &&
  typeof (value as TaskRef).params === 'object' &&
  (value as TaskRef).params !== null;

/** The requested tasks' refs, or what is wrong with the file. */
export const parseRequestedRecord = (text: string, requester: string): { readonly tasks: TaskRef[] } | { readonly error: string } => {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    return { error: `it is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const { requester: id, tasks } = (record ?? {}) as Partial<RequestedRecord>;
  if (id !== requester) return { error: `it is for task ${JSON.stringify(id)}, not ${requester}` };
  if (!Array.isArray(tasks) || tasks.length === 0) return { error: 'it names no tasks' };
  const refs: TaskRef[] = [];
  for (const task of tasks) {
    const ref = Array.isArray(task?.path) ? task.path[task.path.length - 1] : undefined;
    if (!isRef(ref)) return { error: 'a task in it has no valid path' };
    refs.push(ref);
  }
  return { tasks: refs };
};

export const readRequestedRecord = (file: string, requester: string): { readonly tasks: TaskRef[] } | { readonly error: string } => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { error: `it cannot be read (${error instanceof Error ? error.message : String(error)})` };
  }
  return parseRequestedRecord(text, requester);
};
