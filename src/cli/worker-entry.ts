/**
 * `b2 worker --task-id ID --run-dir DIR [--task-path JSON]`: what a batch job
 * runs. It reads the run's pipeline record and settings snapshot, and the
 * task's path from its command line (or, when that was too long, from the
 * task's record file), all written at submission; it re-creates exactly that
 * one task (no graph is built) and runs it. Kept free of the command-line
 * parser and other runner-only modules: thousands of jobs pay this start-up.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, isUserError, UserError } from '../errors.js';
import { setPipelineDir } from '../pipeline/context.js';
import { importBundle } from '../pipeline/load.js';
import { TaskResolver } from '../pipeline/reconstruct.js';
import { initSettingsFromSnapshot, type SettingsSnapshot } from '../settings/index.js';
import { runTask } from '../executors/run-task.js';
import { taskErrorText } from '../executors/error-text.js';
import type { PipelineRecord, TaskRecord } from '../executors/batch.js';

const USAGE = 'usage: b2 worker --task-id ID --run-dir DIR [--task-path JSON]';

const parseArgs = (args: readonly string[]): { taskId: string; runDir: string; taskPath?: string } => {
  let taskId: string | undefined;
  let taskPath: string | undefined;
  let runDir = process.env.B2_RUN_DIR;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => inline ?? args[++i] ?? '';
    if (flag === '--task-id') taskId = value();
    else if (flag === '--run-dir') runDir = value();
    else if (flag === '--task-path') taskPath = value();
    // Anything else belongs to task_cmd_additional_args and is the user's business.
  }
  if (!taskId) throw new UserError('usage', `b2 worker needs --task-id. ${USAGE}`);
  if (!runDir) throw new UserError('usage', `b2 worker needs --run-dir (or B2_RUN_DIR). ${USAGE}`);
  return { taskId, runDir, ...(taskPath === undefined ? {} : { taskPath }) };
};

const readJsonFile = <T>(file: string, what: string): T => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new UserError('worker-record', `Cannot read the ${what} ${file}: ${errorMessage(error)}`, {
      hint: 'The run folder (setting state_dir) must be on storage that batch nodes can read.',
    });
  }
};

const parseTaskPath = (text: string): TaskRecord['path'] => {
  try {
    return JSON.parse(text) as TaskRecord['path'];
  } catch (error) {
    throw new UserError('usage', `b2 worker: --task-path is not JSON: ${errorMessage(error)}. ${USAGE}`);
  }
};

export const workerMain = async (args: readonly string[]): Promise<number> => {
  try {
    const { taskId, runDir, taskPath } = parseArgs(args);
    const refs = taskPath === undefined ? undefined : parseTaskPath(taskPath);
    const record: TaskRecord =
      refs === undefined
        ? readJsonFile<TaskRecord>(path.join(runDir, 'tasks', `${taskId}.json`), 'task record')
        : { ...readJsonFile<PipelineRecord>(path.join(runDir, 'pipeline.json'), 'pipeline record'), path: refs };
    initSettingsFromSnapshot(readJsonFile<SettingsSnapshot>(path.join(runDir, 'settings.json'), 'settings snapshot'));
    setPipelineDir(record.pipelineDir);
    const module = await importBundle(record.bundle, record.file);
    const task = new TaskResolver(module).resolve(record.path);
    if (task.taskId !== taskId) {
      throw new UserError('task-not-reproduced', `Re-created task ${task.taskId}, but the job is for ${taskId}.`);
    }
    process.stdout.write(`b2 worker: running ${task.toString()}\n`);
    await runTask(task);
    process.stdout.write(`b2 worker: ${task.taskId} finished\n`);
    return 0;
  } catch (error) {
    if (isUserError(error)) {
      process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      if (error.cause instanceof Error) process.stderr.write(`${taskErrorText(error.cause)}\n`);
    } else {
      process.stderr.write(`${taskErrorText(error)}\n`);
    }
    return 1;
  }
};
