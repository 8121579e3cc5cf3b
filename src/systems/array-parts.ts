/**
 * What the four array adapters share: the array's size and slot limit, its
 * script (one file that maps the system's element index to its tasks), and
 * element ids read back with the system's own pattern. What differs per
 * system (the index variable, log mode, submit argv) is passed in.
 */
import { renderArrayScript } from '../wrapper/array.js';
import type { ArrayRequest, JobFile } from './contract.js';

export interface ArrayShape {
  /** Elements in the array. */
  readonly size: number;
  /** Elements running at once (tasks_in_parallel aside): the bulk slot limit, or all. */
  readonly slots: number;
  /** The array script's path. */
  readonly script: string;
}

export const arrayShape = (request: ArrayRequest): ArrayShape => {
  const size = request.elements.length;
  return { size, slots: Math.max(1, request.options.bulk?.slotLimit ?? size), script: `${request.dir}/${request.name}.sh` };
};

export interface ArrayScriptOptions {
  /** Bash expression for the element's 1-based index, e.g. `"${SLURM_ARRAY_TASK_ID:-}"`. */
  readonly index: string;
  /** Append to each task's logs (the system's own mode for a retry) rather than replace them. */
  readonly appendLogs: boolean;
  /** The submit command, written into the script as a comment for whoever reads it. */
  readonly command: readonly string[];
}

export const arrayScriptFile = (request: ArrayRequest, shape: ArrayShape, spec: ArrayScriptOptions): JobFile => ({
  path: shape.script,
  content: renderArrayScript({
    index: spec.index,
    elements: request.elements,
    tasksInParallel: request.options.bulk?.tasksInParallel ?? 1,
    appendLogs: spec.appendLogs,
    command: spec.command,
  }),
  mode: 0o755,
});

/**
 * Reads an element id with `pattern` (array id, then index); `firstIndex` is
 * the system's number for element 1 (HTCondor's ProcId counts from 0).
 */
export const elementIdReader =
  (pattern: RegExp, firstIndex = 1) =>
  (jobId: string): { arrayId: string; index: number } | undefined => {
    const match = pattern.exec(jobId);
    return match === null ? undefined : { arrayId: match[1]!, index: Number(match[2]) - firstIndex + 1 };
  };
