/**
 * Running one task's run() with atomic outputs: run() writes to temporary
 * names in the final folders, and only when it succeeds are they renamed into
 * place. A failed or killed task therefore never leaves an output that counts
 * as complete.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { UserError } from '../errors.js';
import { INTERNAL, outputsOf, type Requirements, type Task } from '../pipeline/task.js';
import { driveGeneratorRun, isGeneratorResult } from '../pipeline/dynamic.js';
import { makeFolders } from '../util/files.js';

/** `out.foo.bar` -> `out-b2-tmp-0123456789.foo.bar`: every extension kept, for tools that look at them. */
export const temporaryName = (finalPath: string): string => {
  const dir = path.dirname(finalPath);
  const base = path.basename(finalPath);
  const dot = base.indexOf('.', 1);
  const stem = dot === -1 ? base : base.slice(0, dot);
  const extensions = dot === -1 ? '' : base.slice(dot);
  return path.join(dir, `${stem}-b2-tmp-${String(randomInt(0, 1e10)).padStart(10, '0')}${extensions}`);
};

const wantsAtomicOutputs = (task: Task): boolean =>
  (task as unknown as { atomicOutputs?: boolean }).atomicOutputs !== false;

export interface RunTaskOptions {
  /** Called after run() succeeded, before its outputs are moved into place; throwing fails the task instead. */
  readonly beforeCommit?: () => void;
  /** How this process waits for tasks run() requires (Task.require); without it, require() is refused. */
  readonly requireTasks?: (tasks: readonly Task[]) => Promise<void>;
}

/** run(), and a generator run() driven to its end, each yield a require(). */
const callRun = async (task: Task): Promise<void> => {
  const result = task.run();
  if (isGeneratorResult(result)) await driveGeneratorRun(result, (yielded) => task.require(yielded as Requirements));
  else await result;
};

export const runTask = async (task: Task, options: RunTaskOptions = {}): Promise<void> => {
  const outputs = outputsOf(task);
  for (const target of outputs) makeFolders(path.dirname(target.path));
  const internal = task[INTERNAL];
  const temporary = new Map<string, string>();
  if (wantsAtomicOutputs(task)) {
    for (const target of outputs) temporary.set(target.name, temporaryName(target.path));
    internal.temporaryOutputs = temporary;
  }
  if (options.requireTasks) internal.requireHandler = options.requireTasks;
  try {
    await callRun(task);
    options.beforeCommit?.();
  } catch (error) {
    for (const file of temporary.values()) rmSync(file, { recursive: true, force: true });
    throw error;
  } finally {
    internal.temporaryOutputs = undefined;
    internal.requireHandler = undefined;
  }
  const missing: string[] = [];
  for (const target of outputs) {
    const file = temporary.get(target.name);
    if (file !== undefined && existsSync(file)) renameSync(file, target.path);
    else if (!existsSync(target.path)) missing.push(target.name);
  }
  if (missing.length > 0) {
    throw new UserError(
      'missing-output',
      `${task.toString()} finished but did not write ${missing.map((n) => `"${n}"`).join(', ')}.`,
      { hint: 'Write each output to this.getOutputFileName(name) inside run().' },
    );
  }
};
