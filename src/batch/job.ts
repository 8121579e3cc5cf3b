/**
 * A task as a batch job: its JobSpec (from the task's settings), its task
 * record, wrapper and submit files, written to disk before its submit
 * command; and the preflight of a run's families, which renders the same
 * files without writing them.
 */
import { statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError, isUserError } from '../errors.js';
import { taskKey } from '../systems/task-key.js';
import type { ArraySubmission, BatchAdapter, BulkSettings, JobFile, JobSpec } from '../systems/contract.js';
import { systemOptionKeys, type BatchSystemName } from '../systems/registry.js';
import type { TaskGraph } from '../pipeline/graph.js';
import { resolveFromPipeline } from '../pipeline/context.js';
import type { LoadedPipeline } from '../pipeline/load.js';
import { logPaths, taskFileDir, type LogPaths } from '../pipeline/paths.js';
import { runsNothing, type Task } from '../pipeline/task.js';
import { jobFilesIn, taskRecordFile, wrapperFileIn, type RunDir } from '../run/layout.js';
import { getSetting } from '../settings/index.js';
import { renderJobWrapper } from '../wrapper/wrapper.js';
import type { TaskJob } from '../executors/executor.js';
import { plainAdapter } from './client.js';
import { preflightContainer, preflightJob } from './preflight.js';
import { containerFor, createContainerMountFolders } from './container-settings.js';
// A full disk fails the job whose files it is, naming the file, not the run.
import { makeFolders, writing } from '../util/files.js';

/**
 * What a job needs to find its task: the pipeline, and the refs that lead to
 * the task from a class another process can build. It goes on the job's
 * command line (`--task-record`); only when that would be very long is it
 * written to `<run>/tasks/<task id>.json` instead.
 */
export interface TaskRecord {
  readonly path: TaskJob['path'];
  readonly bundle: string;
  readonly file: string;
}

// Far below the 128 KiB that Linux allows one argument.
const MAX_INLINE_RECORD = 16 * 1024;

/** What every job of a run shares. */
export interface JobContext {
  readonly pipeline: LoadedPipeline;
  readonly run: RunDir;
  readonly tag: string;
  /** The multiples of memory and walltime a task's next job asks for (see escalate.ts); none: the settings as they are. */
  readonly escalation?: (task: Task) => { readonly memory: number; readonly walltime: number };
}

/** HTCondor runs a job with transfer files in a sandbox folder of its own (working_dir "."). */
const sandboxed = (spec: JobSpec, system: BatchSystemName): boolean => system === 'htcondor' && spec.transferFiles.length > 0;

// Mostly absent (first attempts): a stat is cheaper than the exception a failed unlink raises.
const removeIfThere = (file: string): void => {
  if (statSync(file, { throwIfNoEntry: false })) unlinkSync(file);
};

const escalate = (value: number | undefined, multiple: number | undefined): number | undefined =>
  value === undefined || multiple === undefined || multiple === 1 ? value : Math.ceil(value * multiple);

export const jobSpec = (ctx: JobContext, task: Task, logs: LogPaths, system: BatchSystemName): JobSpec => {
  const optional = <T>(key: string): T | undefined => getSetting<T | undefined>(key, { task, default: undefined });
  const cpus = optional<number>('cpus') ?? optional<number>('job_slots');
  const scale = ctx.escalation?.(task);
  const memory = escalate(optional<number>('memory'), scale?.memory);
  const walltime = escalate(optional<number>('walltime'), scale?.walltime);
  const queue = optional<string>('queue');
  const envScript = getSetting<string>('env_script', { task });
  const transfer = getSetting<string[]>('transfer_files', { task });
  const workingDir = getSetting<string>('working_dir', { task });
  if (system === 'htcondor' && transfer.length > 0 && path.normalize(workingDir) !== '.') {
    // As b2luigi: the transferred files are in the job's sandbox, out of reach from any other folder.
    throw new UserError('bad-batch-settings', `transfer_files is set, so working_dir must be "." (the job's sandbox), not ${JSON.stringify(workingDir)}.`, {
      hint: 'Set working_dir to "." for this task, or drop transfer_files if the files are on a shared file system.',
    });
  }
  return {
    taskId: task.taskId,
    runTag: ctx.tag,
    taskKey: taskKey(task.taskId),
    jobName: optional<string>('job_name') ?? task.taskFamily,
    wrapperPath: wrapperFileIn(taskFileDir(task)),
    taskFileDir: taskFileDir(task),
    stdoutPath: logs.stdout,
    stderrPath: logs.stderr,
    jobLogPath: jobFilesIn(logs.dir).jobLog,
    workingDir: resolveFromPipeline(workingDir),
    resources: {
      ...(cpus === undefined ? {} : { cpus }),
      ...(memory === undefined ? {} : { memoryMb: memory }),
      ...(walltime === undefined ? {} : { walltimeSeconds: walltime }),
      ...(queue === undefined ? {} : { queue }),
    },
    systemSettings: getSetting<Record<string, string | number | boolean>>(`${system}_settings`, { task }),
    transferFiles: [...transfer, ...(envScript && transfer.length > 0 ? [resolveFromPipeline(envScript)] : [])],
    ...(envScript ? { envScript: resolveFromPipeline(envScript) } : {}),
    systemOptions: Object.fromEntries(systemOptionKeys(system).map((key) => [key, getSetting<string>(key, { task })])),
    bulk: bulkSettings(task),
  };
};

const bulkSettings = (task: Task): BulkSettings => {
  const tasksPerJob = getSetting<number>('tasks_per_job', { task });
  const arraySize = getSetting<number | undefined>('array_size', { task, default: undefined });
  return {
    array: getSetting<boolean>('array', { task }),
    ...(arraySize === undefined ? {} : { arraySize }),
    tasksPerJob,
    tasksInParallel: Math.min(tasksPerJob, getSetting<number>('tasks_in_parallel', { task })),
    slotLimit: getSetting<number>('workers'),
  };
};

/** Whether the task goes out in an array (array on, or several tasks per job), where the system has them. */
export const goesInArray = (spec: JobSpec, array?: ArraySubmission): boolean =>
  spec.bulk !== undefined && (spec.bulk.array || spec.bulk.tasksPerJob > 1) && (array?.accepts?.(spec) ?? true);

/**
 * The resources of a job that runs `tasks` tasks of this spec, as many at
 * once as tasks_in_parallel allows: cpus and memory for those running
 * together, walltime for those running one after the other.
 */
export const packedSpec = (spec: JobSpec, tasks: number): JobSpec => {
  if (tasks <= 1) return spec;
  const together = Math.max(1, Math.min(tasks, spec.bulk?.tasksInParallel ?? 1));
  const rounds = Math.ceil(tasks / together);
  const { cpus, memoryMb, walltimeSeconds } = spec.resources;
  return {
    ...spec,
    resources: {
      ...spec.resources,
      ...(cpus === undefined || together === 1 ? {} : { cpus: cpus * together }),
      ...(memoryMb === undefined || together === 1 ? {} : { memoryMb: memoryMb * together }),
      ...(walltimeSeconds === undefined ? {} : { walltimeSeconds: walltimeSeconds * rounds }),
    },
  };
};

const taskRecord = (ctx: JobContext, job: TaskJob): string => {
  const { bundle, file } = ctx.pipeline;
  return JSON.stringify({ path: job.path, bundle, file } satisfies TaskRecord);
};

/**
 * The job wrapper of a task, the task record given as `recordArgs` on its command line; `workingDir`
 * undefined: stay where the batch system starts the job. Local runs in a container use it too.
 */
export const renderTaskWrapper = (ctx: JobContext, task: Task, logs: LogPaths, workingDir: string | undefined, recordArgs: readonly string[]): string => {
  const envScript = getSetting<string>('env_script', { task });
  const command = [
    ...getSetting<string[]>('executable_prefix', { task }),
    ...getSetting<string[]>('executable', { task }),
    'worker',
    '--task-id',
    task.taskId,
    '--run-dir',
    ctx.run.dir,
    ...recordArgs,
    ...getSetting<string[]>('task_cmd_additional_args', { task }),
  ];
  const container = containerFor(task, workingDir, ctx.run.dir);
  return renderJobWrapper({
    taskId: task.taskId,
    shell: getSetting<string>('shell', { task }),
    workingDir,
    ...(envScript ? { envScript: resolveFromPipeline(envScript) } : {}),
    env: getSetting<Record<string, string>>('env', { task }),
    command,
    exitStatusFile: jobFilesIn(logs.dir).exitStatus,
    ...(container === undefined ? {} : { container }),
  });
};

/** The job's wrapper and submit files (none without an adapter: a task of an array), the task record given as `recordArgs` on the job's command line. */
const jobFiles = (ctx: JobContext, task: Task, logs: LogPaths, system: BatchSystemName, adapter: BatchAdapter | undefined, spec: JobSpec, recordArgs: readonly string[]): JobFile[] => {
  // Transferred files land in the job's sandbox: the job stays there.
  const wrapper = renderTaskWrapper(ctx, task, logs, sandboxed(spec, system) ? undefined : spec.workingDir, recordArgs);
  return [{ path: spec.wrapperPath, content: wrapper, mode: 0o755 }, ...(adapter?.submitFiles(spec) ?? [])];
};

/** The job's `--task-record` arguments; a very long record goes to its file in the run folder instead (none then). */
export const taskRecordArgs = (ctx: JobContext, job: TaskJob): string[] => {
  const record = taskRecord(ctx, job);
  if (record.length <= MAX_INLINE_RECORD) return ['--task-record', record];
  // No reader before the job starts (after this), so a plain write is enough.
  const recordFile = taskRecordFile(ctx.run.dir, job.task.taskId);
  writing('the task record', recordFile, () => writeFileSync(recordFile, record));
  return [];
};

/** Everything a job needs on disk before its submit command: folders, task record, wrapper, submit files. */
export const prepareJob = (ctx: JobContext, job: TaskJob, system: BatchSystemName, adapter: BatchAdapter, spec: JobSpec, submitFiles = true): void => {
  const exitFile = jobFilesIn(job.logs.dir).exitStatus;
  const newLogDir = writing('the log folder', job.logs.dir, () => makeFolders(job.logs.dir) !== undefined);
  writing('the job folder', spec.taskFileDir, () => makeFolders(spec.taskFileDir));
  createContainerMountFolders(job.task, sandboxed(spec, system) ? undefined : spec.workingDir, ctx.run.dir);
  if (!newLogDir) {
    // A status file from an earlier attempt or run must not decide this one, nor its measurement count for this one.
    removeIfThere(exitFile);
    removeIfThere(jobFilesIn(job.logs.dir).resources);
  }
  const recordArgs = taskRecordArgs(ctx, job);
  // Written for a job submitted with others too: the folder holds what it takes to submit it by hand.
  for (const file of jobFiles(ctx, job.task, job.logs, system, submitFiles ? adapter : undefined, spec, recordArgs)) {
    writing('the job file', file.path, () => writeFileSync(file.path, file.content, file.mode === undefined ? {} : { mode: file.mode }));
  }
};

/**
 * One task of each family the run will submit, rendered as its job would
 * be, before anything is submitted: a batch setting that a whole family's
 * jobs could not be submitted with, or what they would all lack (the
 * submit command, env_script, an executable), stops the run at once as
 * bad input, instead of failing those jobs one by one.
 */
export const checkJobSettings = (ctx: JobContext, graph: TaskGraph, systemFor: (task: Task) => BatchSystemName | 'local'): void => {
  const families = new Set<string>();
  for (const node of graph.nodes) {
    if (node.initial !== 'incomplete' || families.has(node.family) || runsNothing(node.task)) continue;
    families.add(node.family);
    const system = systemFor(node.task);
    try {
      if (system === 'local') {
        preflightContainer(node.task, containerFor(node.task, resolveFromPipeline(getSetting<string>('working_dir', { task: node.task })), ctx.run.dir));
        continue;
      }
      const adapter = plainAdapter(system);
      const logs = logPaths(node.task);
      const spec = jobSpec(ctx, node.task, logs, system);
      jobFiles(ctx, node.task, logs, system, adapter, spec, []);
      preflightJob(node.task, adapter, spec);
      // Its array too, where it goes out in one: a setting the array cannot take stops the run now.
      if (adapter.array && goesInArray(spec, adapter.array)) {
        adapter.array.submission({ elements: [[spec]], options: packedSpec(spec, spec.bulk?.tasksPerJob ?? 1), arrayKey: '0'.repeat(12), dir: spec.taskFileDir, name: 'array' }, (name) => [name]);
      }
      preflightContainer(node.task, containerFor(node.task, spec.workingDir, ctx.run.dir));
    } catch (error) {
      if (!isUserError(error)) throw error;
      throw new UserError(error.reason, `${node.task.toString()} ${system === 'local' ? 'cannot run locally' : `cannot be submitted to ${system}`}: ${error.message}`, error.hint === undefined ? {} : { hint: error.hint });
    }
  }
};
