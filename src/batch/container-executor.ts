/**
 * Local tasks in a container (setting apptainer_image): as b2luigi's
 * ApptainerProcess, such a task runs as its own process, the same job wrapper
 * a batch job runs (`apptainer exec ... b2 worker ...`), its output in the
 * task's stdout and stderr logs; the exit-status file the wrapper writes
 * decides. Every other task goes to the pool of local workers as before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { errorMessage, isUserError, UserError } from '../errors.js';
import type { TaskGraph } from '../pipeline/graph.js';
import { runsNothing } from '../pipeline/task.js';
import { preflightContainer } from './preflight.js';
import { taskFileDir } from '../pipeline/paths.js';
import { jobFilesIn, wrapperFileIn } from '../run/layout.js';
import { exitReason } from '../run/failure.js';
import { readExitStatusFile } from '../wrapper/wrapper.js';
import { NEEDS_DEPENDENCIES_STATUS } from '../pipeline/dynamic.js';
import { neededDependencies } from './needs-dependencies.js';
import { containerFor, createContainerMountFolders, usesContainer } from './container-settings.js';
import { renderTaskWrapper, taskRecordArgs, type JobContext } from './job.js';
import { exportSettingsSnapshot, getSetting } from '../settings/index.js';
import { resolveFromPipeline } from '../pipeline/context.js';
import { writeFileAtomic } from '../journal/run-dir.js';
import { cancelledOutcome, type Executor, type TaskJob, type TaskOutcome, type TaskRequest } from '../executors/executor.js';
import { makeFolders } from '../util/files.js';

const KILL_GRACE_MS = 5000;

export class ContainerExecutor implements Executor {
  readonly name: string;
  readonly capacity: number;
  onOutcome: (outcome: TaskOutcome) => void = () => {};
  /** Requests of tasks that run in the inner executor (Task.require). */
  onRequest?: (request: TaskRequest) => void;
  private readonly running = new Map<ChildProcess, TaskJob>();
  private cancelling = false;
  private snapshotWritten = false;

  constructor(
    private readonly inner: Executor,
    private readonly ctx: JobContext,
  ) {
    this.name = inner.name;
    this.capacity = inner.capacity;
    inner.onOutcome = (outcome) => this.onOutcome(outcome);
    inner.onRequest = (request) => this.onRequest?.(request);
  }

  start(job: TaskJob): void {
    if (!usesContainer(job.task)) {
      this.inner.start(job);
      return;
    }
    try {
      this.launch(job);
    } catch (error) {
      this.onOutcome({ index: job.index, ok: false, reason: 'submit', message: isUserError(error) ? error.message : `could not start the task: ${errorMessage(error)}` });
    }
  }

  private launch(job: TaskJob): void {
    const { task, logs } = job;
    // The job reads the run's settings as a batch job does.
    if (!this.snapshotWritten) {
      writeFileAtomic(this.ctx.run.settings, JSON.stringify(exportSettingsSnapshot()));
      this.snapshotWritten = true;
    }
    const workingDir = resolveFromPipeline(getSetting<string>('working_dir', { task }));
    const files = jobFilesIn(logs.dir);
    makeFolders(logs.dir);
    const dir = taskFileDir(task);
    makeFolders(dir);
    createContainerMountFolders(task, workingDir, this.ctx.run.dir);
    // A status file from an earlier attempt or run must not decide this one.
    rmSync(files.exitStatus, { force: true });
    const wrapper = wrapperFileIn(dir);
    writeFileSync(wrapper, renderTaskWrapper(this.ctx, task, logs, workingDir, taskRecordArgs(this.ctx, job)), { mode: 0o755 });
    const stdout = openSync(files.stdout, 'w');
    const stderr = openSync(files.stderr, 'w');
    let child: ChildProcess;
    try {
      child = spawn(wrapper, [], { stdio: ['ignore', stdout, stderr] });
    } finally {
      closeSync(stdout);
      closeSync(stderr);
    }
    this.running.set(child, job);
    child.on('error', (error) => this.finish(child, { index: job.index, ok: false, reason: 'submit', message: `could not start the job wrapper ${wrapper}: ${error.message}` }));
    child.on('exit', (code, signal) => {
      const status = readExitStatusFile(files.exitStatus) ?? (signal !== null ? undefined : code ?? undefined);
      if (this.cancelling) return this.finish(child, cancelledOutcome(job.index));
      if (status === 0) return this.finish(child, { index: job.index, ok: true });
      // Its worker cannot wait inside the container: it named the tasks it needs and ended, to run again after them (as a batch job does).
      if (status === NEEDS_DEPENDENCIES_STATUS) return this.finish(child, neededDependencies(job));
      this.finish(child, {
        index: job.index,
        ok: false,
        reason: status === undefined ? 'signal' : exitReason(status),
        message: status === undefined ? `the container job was killed by ${signal}` : status > 128 ? `the task was killed by signal ${status - 128}` : `the task exited with code ${status}`,
        ...(status === undefined ? {} : { exitCode: status }),
      });
    });
  }

  private finish(child: ChildProcess, outcome: TaskOutcome): void {
    if (!this.running.delete(child)) return;
    this.onOutcome(outcome);
  }

  async cancelAll(): Promise<void> {
    this.cancelling = true;
    await Promise.all([this.inner.cancelAll(), this.stopChildren()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.inner.close(), this.stopChildren()]);
  }

  // The wrapper passes SIGTERM on to apptainer, which passes it to the task.
  private async stopChildren(): Promise<void> {
    await Promise.all(
      [...this.running.keys()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}

/**
 * Before a local run: one task of each family that runs in a container, its
 * image and apptainer checked as a batch run checks them, so a missing image
 * stops the run as bad input instead of failing every task.
 */
export const preflightLocalContainers = (ctx: JobContext, graph: TaskGraph): void => {
  const families = new Set<string>();
  for (const node of graph.nodes) {
    if (node.initial !== 'incomplete' || families.has(node.family) || runsNothing(node.task) || !usesContainer(node.task)) continue;
    families.add(node.family);
    try {
      const workingDir = resolveFromPipeline(getSetting<string>('working_dir', { task: node.task }));
      preflightContainer(node.task, containerFor(node.task, workingDir, ctx.run.dir));
    } catch (error) {
      if (!isUserError(error)) throw error;
      throw new UserError(error.reason, `${node.task.toString()} cannot run in its container: ${error.message}`, error.hint === undefined ? {} : { hint: error.hint });
    }
  }
};
