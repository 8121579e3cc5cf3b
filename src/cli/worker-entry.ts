/**
 * `b2 worker --task-id ID --run-dir DIR [--task-record JSON]`: what a batch
 * job runs. It takes the task's record (pipeline bundle and the path to the
 * task) from its command line, or from the record file written at submission
 * when it was too long for one, and the run's settings snapshot; it re-creates
 * exactly that one task (no graph is built) and runs it. Kept free of the
 * command-line parser and other runner-only modules: thousands of jobs pay
 * this start-up.
 */
import { readFileSync } from 'node:fs';
import { errorMessage, isUserError, UserError } from '../errors.js';
import { importBundle } from '../pipeline/load.js';
import { TaskResolver } from '../pipeline/reconstruct.js';
import { initSettingsFromSnapshot, type SettingsSnapshot } from '../settings/index.js';
import { runTask } from '../executors/run-task.js';
import { taskErrorText } from '../executors/error-text.js';
import { clearOwnError, writeOwnError } from '../executors/own-error.js';
import { logPaths } from '../pipeline/paths.js';
import type { TaskRecord } from '../batch/job.js';
import { jobFilesIn, settingsSnapshotFile, taskRecordFile } from '../run/layout.js';
import { startMeasuring, writeMeasurement } from '../executors/measure.js';

const USAGE = 'usage: b2 worker --task-id ID --run-dir DIR [--task-record JSON]';

const HELP = `${USAGE}

Runs exactly one task of a submitted run: what each batch job executes.

  --task-id ID         the task to run
  --run-dir DIR        the run folder written at submission (default: $B2_RUN_DIR)
  --task-record JSON   the task's record (pipeline bundle and path to the task);
                       default: DIR/tasks/ID.json
  -h, --help           print this help
`;

// Help only when no task is named: with --task-id, every other word belongs to task_cmd_additional_args.
const asksForHelp = (args: readonly string[]): boolean =>
  !args.some((arg) => arg === '--task-id' || arg.startsWith('--task-id=')) && args.some((arg) => arg === '--help' || arg === '-h');

const parseArgs = (args: readonly string[]): { taskId: string; runDir: string; record?: string } => {
  let taskId: string | undefined;
  let record: string | undefined;
  let runDir = process.env.B2_RUN_DIR;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => inline ?? args[++i] ?? '';
    if (flag === '--task-id') taskId = value();
    else if (flag === '--run-dir') runDir = value();
    else if (flag === '--task-record') record = value();
    // Anything else belongs to task_cmd_additional_args and is the user's business.
  }
  if (!taskId) throw new UserError('usage', `b2 worker needs --task-id. ${USAGE}`);
  if (!runDir) throw new UserError('usage', `b2 worker needs --run-dir (or B2_RUN_DIR). ${USAGE}`);
  return { taskId, runDir, ...(record === undefined ? {} : { record }) };
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

const parseRecord = (text: string): TaskRecord => {
  try {
    return JSON.parse(text) as TaskRecord;
  } catch (error) {
    throw new UserError('usage', `b2 worker: --task-record is not JSON: ${errorMessage(error)}. ${USAGE}`);
  }
};

export const workerMain = async (args: readonly string[]): Promise<number> => {
  if (asksForHelp(args)) {
    process.stdout.write(HELP);
    return 0;
  }
  // From the start: loading the pipeline is part of what the job costs.
  const measuring = startMeasuring(false);
  // Known once the task is re-created: where b2's own error is left for the runner.
  let logDir: string | undefined;
  const recordUsage = (exitCode?: number): void => {
    if (logDir === undefined) return;
    const problem = writeMeasurement(jobFilesIn(logDir).resources, exitCode === undefined ? measuring.started : measuring.finish(exitCode));
    if (problem !== undefined) process.stderr.write(`${problem}\n`);
  };
  try {
    const { taskId, runDir, record: inline } = parseArgs(args);
    const record = inline === undefined ? readJsonFile<TaskRecord>(taskRecordFile(runDir, taskId), 'task record') : parseRecord(inline);
    initSettingsFromSnapshot(readJsonFile<SettingsSnapshot>(settingsSnapshotFile(runDir), 'settings snapshot'));
    const module = await importBundle(record.bundle, record.file);
    const task = new TaskResolver(module).resolve(record.path);
    if (task.taskId !== taskId) {
      throw new UserError('task-not-reproduced', `Re-created task ${task.taskId}, but the job is for ${taskId}.`);
    }
    logDir = logPaths(task).dir;
    clearOwnError(logDir);
    // Started: a job killed from now on (out of memory, SIGKILL) still says where and since when it ran.
    recordUsage();
    process.stdout.write(`b2 worker: running ${task.toString()}\n`);
    await runTask(task);
    process.stdout.write(`b2 worker: ${task.taskId} finished\n`);
    recordUsage(0);
    return 0;
  } catch (error) {
    recordUsage(1);
    if (isUserError(error)) {
      if (logDir !== undefined) writeOwnError(logDir, error);
      process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      if (error.cause instanceof Error) process.stderr.write(`${taskErrorText(error.cause)}\n`);
    } else {
      process.stderr.write(`${taskErrorText(error)}\n`);
    }
    return 1;
  }
};
