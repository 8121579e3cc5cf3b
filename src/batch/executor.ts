/**
 * Batch execution: one job per task on HTCondor, LSF, Slurm or Grid Engine.
 * Submission and polling are asynchronous and hold no process per job: one
 * status query per batch system per poll interval covers every job of the
 * run, and the wrapper's exit-status file decides success. This wires the
 * phases: job.ts prepares, submit.ts submits, watch.ts watches, judge.ts
 * judges; tasks set to run locally go to a local pool.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { BATCH_SYSTEM_NAMES, batchSystemName, detectBatchSystem, detectedBinaries, type BatchSystemName } from '../systems/registry.js';
import type { TaskGraph } from '../pipeline/graph.js';
import type { LoadedPipeline } from '../pipeline/load.js';
import type { Task } from '../pipeline/task.js';
import { jobFilesIn, type RunDir } from '../run/layout.js';
import type { AdoptedJob } from '../journal/resume.js';
import type { JobEvent } from '../scheduler/events.js';
import { writeFileAtomic } from '../journal/run-dir.js';
import { exportSettingsSnapshot, getSetting } from '../settings/index.js';
import { lastLines } from '../util/tail.js';
import { cancelledOutcome, type Executor, type TaskJob, type TaskOutcome, type TaskRequest } from '../executors/executor.js';
import { PoolExecutor } from '../executors/pool.js';
import { ContainerExecutor } from './container-executor.js';
import { runCommandSync } from './run-command.js';
import { binaryLookup, cancelJobs, cancelUnknownJobs, plainAdapter, waitUntilGone } from './client.js';
import { CheckLoop } from './check-loop.js';
import { judgeJob, reasonGivenExplanation } from './judge.js';
import { checkJobSettings, jobSpec, type JobContext } from './job.js';
import { Submitter } from './submit.js';
import { newTrackedJob, observationOf, Watch, worthJudging, type TrackedJob } from './watch.js';
import type { TaskState } from '../journal/state.js';
import { JobAccounting } from './accounting.js';
import { neededDependencies } from './needs-dependencies.js';

const EXIT_FILE_GRACE_MS = 15_000;
const KILL_WAIT_MS = 60_000;

export interface BatchExecutorOptions {
  readonly graph: TaskGraph;
  readonly pipeline: LoadedPipeline;
  readonly workers: number;
  readonly run: RunDir;
  readonly tag: string;
  /** The run's event stream; delivered synchronously (the journal records a submit intent before its command runs). */
  readonly emit: (event: JobEvent) => void;
  /** Jobs of a dead runner of this run to watch instead of submitting (by node index). */
  readonly adopted?: ReadonlyMap<number, AdoptedJob>;
  /** Every job id the run's journal already names (earlier runners of this run). */
  readonly journaledJobIds?: Iterable<string>;
  /** The dead runner's tasks: what their attempts ran out of carries on (escalate_resources). */
  readonly previousTasks?: Iterable<TaskState>;
  /** Tasks (by node index) whose submission by a dead runner of this run never named a job: asked for before submitting. */
  readonly unresolved?: ReadonlySet<number>;
}

const which = (binary: string): boolean =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, binary)));

export class BatchExecutor implements Executor {
  readonly name: string;
  onOutcome: (outcome: TaskOutcome) => void = () => {};
  /** Requests of tasks run locally (batch_system local); batch jobs end to ask instead. */
  onRequest?: (request: TaskRequest) => void;

  private readonly ctx: JobContext;
  private readonly watch: Watch;
  private readonly submitter: Submitter;
  private local?: ContainerExecutor;
  private autoSystem?: BatchSystemName | 'local';
  private readonly checks: CheckLoop;
  private stopped = false;
  private readonly adoptable: Map<number, AdoptedJob>;
  private readonly unresolved: Set<number>;
  /** Every job id the journal names: a job of the run outside this set was left by a submission nobody heard back from. */
  private readonly knownJobIds: Set<string>;
  private readonly systemsUsed = new Set<BatchSystemName>();
  private readonly accounting: JobAccounting;
  /** A submission's outcome stayed unknown, or the run was cancelled: look for jobs nobody knows before leaving. */
  private sweepNeeded = false;

  constructor(private readonly options: BatchExecutorOptions) {
    this.name = 'batch';
    this.accounting = new JobAccounting(options.emit, options.previousTasks);
    this.ctx = { pipeline: options.pipeline, run: options.run, tag: options.tag, escalation: (task) => this.accounting.escalationFor(task) };
    this.accounting.useContext(this.ctx);
    this.adoptable = new Map(options.adopted ?? []);
    this.unresolved = new Set(options.unresolved ?? []);
    this.knownJobIds = new Set(options.journaledJobIds ?? []);
    writeFileAtomic(options.run.settings, JSON.stringify(exportSettingsSnapshot()));
    this.watch = new Watch(options.tag, options.emit);
    this.submitter = new Submitter({
      ctx: this.ctx,
      emit: options.emit,
      watch: this.watch,
      systemFor: (task) => this.systemFor(task) as BatchSystemName,
      onOutcome: (outcome) => this.onOutcome(outcome),
      kill: (system, jobIds) => this.kill(system, jobIds),
      knownJobIds: this.knownJobIds,
      systemsUsed: this.systemsUsed,
      sweepNeeded: () => (this.sweepNeeded = true),
    });
    this.checks = new CheckLoop(
      () => this.poll(),
      () => this.checkIntervalMs(),
      () => !this.stopped && (this.watch.size > 0 || this.submitter.busy),
    );
  }

  /**
   * Tasks in flight: workers jobs of tasks_per_job tasks each. Once tasks go
   * out as arrays, whose elements run at most workers at once, as many again
   * wait in line, to go out as the next array when this one's have started.
   */
  get capacity(): number {
    const jobs = Math.max(1, this.options.workers) * Math.max(1, getSetting<number>('tasks_per_job'));
    return this.submitter.arraysSubmitted ? 2 * jobs : jobs;
  }

  /** `batch_system` for this task; `auto` picks the system whose submit command is on PATH. */
  systemFor(task: Task): BatchSystemName | 'local' {
    const setting = getSetting<string>('batch_system', { task });
    if (setting !== 'auto') return batchSystemName(setting) ?? 'local';
    this.autoSystem ??= detectBatchSystem(which, (probe) => runCommandSync(probe(binaryLookup()), 10_000).stdout);
    if (this.autoSystem === 'local') {
      // Silently running hundreds of "jobs" on a login node is worse than stopping.
      throw new UserError('no-batch-system', `batch_system is auto, but no batch system was found: none of ${detectedBinaries()} is on PATH.`, {
        hint: `Run on a submit host, set batch_system to one of ${BATCH_SYSTEM_NAMES.join(', ')} (with batch_commands if the binaries live elsewhere), or run without --batch.`,
      });
    }
    return this.autoSystem;
  }

  start(job: TaskJob): void {
    const system = this.systemFor(job.task);
    if (system === 'local') {
      this.localPool().start(job);
      return;
    }
    const adopted = this.adoptable.get(job.index);
    // Adopted once: a retry of the same task is a new submission.
    this.adoptable.delete(job.index);
    if (adopted) {
      // Its job survived the previous runner: watch it, do not submit again.
      this.watch.add(newTrackedJob(job, adopted.system, adopted.jobId, jobFilesIn(job.logs.dir).exitStatus, true));
      this.accounting.adopted(job.index, adopted.submittedAt);
      this.knownJobIds.add(adopted.jobId);
      this.systemsUsed.add(adopted.system);
      this.options.emit({ type: 'job-submitted', system: adopted.system, jobs: [{ index: job.index, attempt: job.attempt, jobId: adopted.jobId }], how: 'adopted' });
    } else if (this.unresolved.delete(job.index)) {
      this.submitter.resolveInherited(job);
    } else {
      this.submitter.enqueue(job);
    }
    this.checks.ensure();
  }

  private localPool(): ContainerExecutor {
    if (!this.local) {
      const { pipeline } = this.options;
      const pool = new PoolExecutor({
        size: Math.max(1, Math.min(this.options.workers, os.cpus().length)),
        bundle: pipeline.bundle,
        file: pipeline.file,
        settings: exportSettingsSnapshot(),
      });
      // A task run locally keeps its container (apptainer_image).
      this.local = new ContainerExecutor(pool, this.ctx);
      this.local.onOutcome = (outcome) => this.onOutcome(outcome);
      this.local.onRequest = (request) => this.onRequest?.(request);
    }
    return this.local;
  }

  /** See checkJobSettings: a family's jobs that could not be submitted stop the run before anything is. */
  checkSettings(): void {
    checkJobSettings(this.ctx, this.options.graph, (task) => this.systemFor(task));
  }

  /** Exit files are cheap to look at; the queue is asked at most once per poll interval. */
  private checkIntervalMs(): number {
    return Math.min(1000, getSetting<number>('poll_interval') * 1000);
  }

  private async poll(): Promise<void> {
    const jobs = this.watch.check();
    const lostGraceMs = getSetting<number>('lost_job_grace') * 1000;
    for (const tracked of jobs) if (worthJudging(tracked)) await this.judge(tracked, lostGraceMs);
    // Jobs held back to go out together: the queue may have moved on.
    if (this.submitter.pending) this.submitter.schedulePump();
  }

  private async judge(tracked: TrackedJob, lostGraceMs: number): Promise<void> {
    const observed = observationOf(tracked);
    const verdict = judgeJob({
      ...observed,
      now: Date.now(),
      lostGraceMs,
      exitFileGraceMs: EXIT_FILE_GRACE_MS,
      heldGraceMs: getSetting<number>('held_grace', { task: tracked.job.task }) * 1000,
    });
    if (verdict.kind === 'wait') return;
    this.watch.remove(tracked.job.index);
    if (verdict.kind === 'succeeded') {
      this.onOutcome({ index: tracked.job.index, ok: true, resources: this.accounting.judged(tracked) });
      return;
    }
    if (verdict.kind === 'needs-dependencies') {
      this.onOutcome(neededDependencies(tracked.job, tracked.jobId));
      return;
    }
    if (verdict.reason === 'cancelled' && tracked.adopted && !this.stopped) {
      // Removed (condor_rm, scancel, ...) while no runner watched it: the task did not fail, it was stopped.
      this.options.emit({ type: 'adopted-job-cancelled', index: tracked.job.index, system: tracked.system, jobId: tracked.jobId });
      this.submitter.enqueue(tracked.job);
      return;
    }
    // Held jobs stay in the system; a "lost" or ended job might linger somewhere: never leave one behind.
    if (verdict.kill || verdict.reason === 'lost' || verdict.reason === 'ended') await this.kill(tracked.system, [tracked.jobId]);
    const explained = verdict.reason === 'exit' ? this.explainExit(tracked, verdict.exitCode) : undefined;
    const reason = reasonGivenExplanation(verdict, explained);
    const resources = this.accounting.judged(tracked, reason);
    this.onOutcome({
      index: tracked.job.index,
      ok: false,
      reason,
      resources,
      message: explained ?? verdict.message,
      jobId: tracked.jobId,
      ...(verdict.exitCode === undefined ? {} : { exitCode: verdict.exitCode }),
      ...(observed.queue?.reason ? { detail: `batch system: ${tracked.system}, state ${observed.queue.native}: ${observed.queue.reason}` } : {}),
    });
  }

  /** The system's reading of a non-zero exit, from the end of the job's stderr (see BatchAdapter.explainExit). */
  private explainExit(tracked: TrackedJob, exitStatus: number | undefined): string | undefined {
    const adapter = plainAdapter(tracked.system);
    if (exitStatus === undefined || !adapter.explainExit) return undefined;
    try {
      const { job, system } = tracked;
      return adapter.explainExit(jobSpec(this.ctx, job.task, job.logs, system), exitStatus, lastLines(job.logs.stderr, 40).join('\n'));
    } catch {
      // Only a better message: the verdict stands without it.
      return undefined;
    }
  }

  private async kill(system: BatchSystemName, jobIds: readonly string[]): Promise<void> {
    await cancelJobs(system, jobIds);
  }

  /** Jobs in flight, and how many more are being submitted, for "what may be left" messages. */
  inFlight(): { jobs: TrackedJob[]; beingSubmitted: number } {
    return { jobs: this.watch.jobs(), beingSubmitted: this.submitter.beingSubmitted };
  }

  async cancelAll(): Promise<void> {
    this.stopped = true;
    this.sweepNeeded = true;
    this.checks.stop();
    for (const job of this.submitter.stop()) this.onOutcome(cancelledOutcome(job.index));
    const localDone = this.local?.cancelAll();
    await this.submitter.settled();
    // Job ids per system, each once: packed tasks share their job.
    const bySystem = new Map<BatchSystemName, Set<string>>();
    for (const tracked of this.watch.jobs()) {
      let ids = bySystem.get(tracked.system);
      if (ids === undefined) bySystem.set(tracked.system, (ids = new Set()));
      ids.add(tracked.jobId);
    }
    for (const [system, ids] of bySystem) {
      this.options.emit({ type: 'jobs-cancelled', system, jobIds: [...ids], why: 'run-stopped' });
      await this.kill(system, [...ids]);
    }
    // After a kill, wait until the queue no longer lists the jobs as pending or running.
    const deadline = Date.now() + KILL_WAIT_MS;
    for (const [system, ids] of bySystem) await waitUntilGone(system, [...ids], this.options.tag, deadline);
    for (const tracked of this.watch.jobs()) {
      this.watch.remove(tracked.job.index);
      this.onOutcome(cancelledOutcome(tracked.job.index, tracked.jobId));
    }
    await localDone;
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.submitter.stop();
    this.checks.stop();
    if (this.sweepNeeded) await this.sweepUnknownJobs();
    await this.local?.close();
  }

  /** One query by run tag per system: jobs of the run that no journal entry names are cancelled. */
  private async sweepUnknownJobs(): Promise<void> {
    this.sweepNeeded = false;
    for (const system of this.systemsUsed) {
      const swept = await cancelUnknownJobs(system, this.options.tag, this.knownJobIds);
      if ('error' in swept) {
        this.options.emit({ type: 'unnamed-jobs-unknown', system, runId: this.options.run.runId, error: swept.error });
      } else if (swept.cancelled.length > 0) {
        this.options.emit({ type: 'jobs-cancelled', system, jobIds: swept.cancelled, why: 'unnamed' });
      }
    }
  }
}
