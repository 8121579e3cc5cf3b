/**
 * Batch execution: one job per task on HTCondor, LSF, Slurm or Grid Engine.
 * Submission and polling are asynchronous and hold no process per job: one
 * status query per batch system per poll interval covers every job of the
 * run, and the wrapper's exit-status file decides success.
 */
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError, errorMessage, isUserError } from '../errors.js';
import { BATCH_SYSTEM_NAMES, batchSystemName, detectBatchSystem, detectedBinaries, systemOptionKeys, type BatchSystemName } from '../batch/systems/registry.js';
import { taskKey } from '../batch/task-key.js';
import type { BatchAdapter, GroupedSubmission, JobFile, JobSpec, JobStatus } from '../batch/systems/contract.js';
import type { TaskGraph } from '../pipeline/graph.js';
import { resolveFromPipeline } from '../pipeline/context.js';
import type { LoadedPipeline } from '../pipeline/load.js';
import { logPaths, taskFileDir } from '../pipeline/paths.js';
import { runsNothing, type Task } from '../pipeline/task.js';
import type { JournalWriter } from '../journal/journal.js';
import type { RunDir } from '../journal/run-dir.js';
import { groupSubmitOutput, submitOutputFile, type AdoptedJob } from '../journal/resume.js';
import { writeFileAtomic } from '../journal/run-dir.js';
import { exportSettingsSnapshot, getSetting } from '../settings/index.js';
import { lastLines } from '../report/tail.js';
import { renderJobWrapper } from '../wrapper/wrapper.js';
import { describeCommandFailure, runCommand, runCommandSync } from './commands.js';
import { ACTIVE_STATES, adapterFor, binaryLookup, cancelJobs, cancelUnknownJobs, plainAdapter, queryJobStates, queryTaggedJobs } from './batch-control.js';
import { exitFileWorthReading, holdSubmissions, judgeJob, nothingToJudge, waitingInQueue } from './batch-judge.js';
import { CheckLoop } from './check-loop.js';
import { preflightJob } from './preflight.js';
import type { Executor, TaskJob, TaskOutcome } from './executor.js';
import { PoolExecutor } from './pool.js';
// A full disk fails the job whose files it is, naming the file, not the run.
import { writing } from '../util/files.js';

const SUBMIT_CONCURRENCY = 8;
// Jobs in one submit command, where the system takes several (HTCondor).
const MAX_GROUP = 200;
const SUBMIT_ATTEMPTS = 3;
const EXIT_FILE_GRACE_MS = 15_000;
const KILL_WAIT_MS = 60_000;
const MAX_QUERY_BACKOFF_MS = 5 * 60_000;
// Tries at asking which jobs a submission of unknown outcome left, before giving up on it.
const RESOLVE_ATTEMPTS = 3;

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
  readonly pipelineDir: string;
}

// Far below the 128 KiB that Linux allows one argument.
const MAX_INLINE_RECORD = 16 * 1024;

export interface TrackedJob {
  readonly job: TaskJob;
  readonly system: BatchSystemName;
  readonly jobId: string;
  readonly submittedAt: number;
  readonly exitFile: string;
  lastSeenAt?: number;
  missingSince?: number;
  endedAt?: number;
  /** Since when the queue has listed it as held. */
  heldSince?: number;
  queue?: JobStatus;
  /** The exit file's status, read once per poll. */
  exitStatus?: number | undefined;
  /** Submitted by an earlier runner of the run, and watched by this one. */
  adopted?: boolean;
}

export interface BatchExecutorOptions {
  readonly graph: TaskGraph;
  readonly pipeline: LoadedPipeline;
  readonly workers: number;
  readonly run: RunDir;
  readonly tag: string;
  readonly journal: JournalWriter;
  readonly emit: (message: string) => void;
  /** Jobs of a dead runner of this run to watch instead of submitting (by node index). */
  readonly adopted?: ReadonlyMap<number, AdoptedJob>;
  /** Every job id the run's journal already names (earlier runners of this run). */
  readonly journaledJobIds?: Iterable<string>;
  /** Tasks (by node index) whose submission by a dead runner of this run never named a job: asked for before submitting. */
  readonly unresolved?: ReadonlySet<number>;
}

export const exitFileFor = (logDir: string): string => path.join(logDir, 'exit_status');
export const startedFileFor = (logDir: string): string => path.join(logDir, 'started');

/** HTCondor runs a job with transfer files in a sandbox folder of its own (working_dir "."). */
const sandboxed = (spec: JobSpec, system: BatchSystemName): boolean => system === 'htcondor' && spec.transferFiles.length > 0;

const readExitStatus = (file: string): number | undefined => {
  // Checked every second for the jobs that may have run, and mostly absent: a stat that
  // throws nothing costs far less than a failed read.
  if (!statSync(file, { throwIfNoEntry: false })) return undefined;
  try {
    const text = readFileSync(file, 'utf8').trim();
    return text === '' ? undefined : Number(text);
  } catch {
    return undefined;
  }
};

// Mostly absent (first attempts): a stat is cheaper than the exception a failed unlink raises.
const removeIfThere = (file: string): void => {
  if (statSync(file, { throwIfNoEntry: false })) unlinkSync(file);
};

/** A job that could not be prepared or submitted: the error's message, and its hint as the detail. */
const failureOf = (error: unknown): { message: string; detail?: string } =>
  isUserError(error) && error.hint !== undefined ? { message: error.message, detail: error.hint } : { message: errorMessage(error) };

const which = (binary: string): boolean =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, binary)));

export class BatchExecutor implements Executor {
  readonly name: string;
  readonly capacity: number;
  onOutcome: (outcome: TaskOutcome) => void = () => {};

  private readonly tracked = new Map<number, TrackedJob>();
  private readonly submitQueue: TaskJob[] = [];
  /** Submit commands under way, and the jobs they carry. */
  private submitting = 0;
  private jobsSubmitting = 0;
  private pumpScheduled = false;
  /** Jobs to submit on their own: their group's command failed. */
  private readonly alone = new Set<number>();
  /** Group keys of queued jobs (node index -> key; undefined: alone), and the job specs they came from. */
  private readonly groupKeys = new Map<number, string | undefined>();
  private readonly specs = new Map<number, JobSpec>();
  private local?: PoolExecutor;
  private autoSystem?: BatchSystemName | 'local';
  private readonly checks: CheckLoop;
  private stopped = false;
  private queryFailures = new Map<BatchSystemName, number>();
  /** When the latest answer of each system's queue was asked for; unset after a failed query. */
  private readonly answeredAt = new Map<BatchSystemName, number>();
  private nextQueryAt = new Map<BatchSystemName, number>();
  /** Systems whose status query is under way. */
  private readonly querying = new Set<BatchSystemName>();
  private readonly settingsFile: string;
  private readonly adoptable: Map<number, AdoptedJob>;
  private readonly unresolved: Set<number>;
  /** Started tasks of `unresolved`, asked for together in the next turn of the event loop. */
  private readonly inherited: TaskJob[] = [];
  /** Every job id the journal names: a job of the run outside this set was left by a submission nobody heard back from. */
  private readonly knownJobIds: Set<string>;
  private readonly systemsUsed = new Set<BatchSystemName>();
  /** A submission's outcome stayed unknown, or the run was cancelled: look for jobs nobody knows before leaving. */
  private sweepNeeded = false;

  constructor(private readonly options: BatchExecutorOptions) {
    this.capacity = Math.max(1, options.workers);
    this.name = 'batch';
    this.settingsFile = options.run.settings;
    this.adoptable = new Map(options.adopted ?? []);
    this.unresolved = new Set(options.unresolved ?? []);
    this.knownJobIds = new Set(options.journaledJobIds ?? []);
    writeFileAtomic(this.settingsFile, JSON.stringify(exportSettingsSnapshot()));
    this.checks = new CheckLoop(
      () => this.poll(),
      () => this.checkIntervalMs(),
      () => !this.stopped && (this.tracked.size > 0 || this.submitQueue.length > 0 || this.submitting > 0),
    );
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
      this.tracked.set(job.index, {
        job,
        system: adopted.system,
        jobId: adopted.jobId,
        submittedAt: Date.now(),
        exitFile: exitFileFor(job.logs.dir),
        adopted: true,
      });
      this.knownJobIds.add(adopted.jobId);
      this.systemsUsed.add(adopted.system);
      this.options.journal.append({ type: 'submitted', id: job.task.taskId, attempt: job.attempt, system: adopted.system, jobId: adopted.jobId }, true);
    } else if (this.unresolved.delete(job.index)) {
      this.inherited.push(job);
      if (this.inherited.length === 1) setImmediate(() => void this.resolveInherited());
    } else {
      this.submitQueue.push(job);
      this.schedulePump();
    }
    this.checks.ensure();
  }

  private localPool(): PoolExecutor {
    if (!this.local) {
      const { pipeline } = this.options;
      this.local = new PoolExecutor({
        size: Math.max(1, Math.min(this.capacity, os.cpus().length)),
        bundle: pipeline.bundle,
        file: pipeline.file,
        pipelineDir: pipeline.dir,
        settings: exportSettingsSnapshot(),
      });
      this.local.onOutcome = (outcome) => this.onOutcome(outcome);
    }
    return this.local;
  }

  /**
   * Tasks whose submission by a dead runner never named a job: their jobs
   * may exist. One query per system finds them; those found are watched, those
   * that already ran are settled by their exit status, the others submitted.
   */
  private async resolveInherited(): Promise<void> {
    const jobs = this.inherited.splice(0);
    const handled = new Set<number>();
    const settle = (outcome: TaskOutcome): void => {
      handled.add(outcome.index);
      this.onOutcome(outcome);
    };
    this.submitting++;
    this.jobsSubmitting += jobs.length;
    try {
      const bySystem = new Map<BatchSystemName, TaskJob[]>();
      for (const job of jobs) {
        const system = this.systemFor(job.task) as BatchSystemName;
        bySystem.set(system, [...(bySystem.get(system) ?? []), job]);
      }
      for (const [system, list] of bySystem) {
        this.systemsUsed.add(system);
        const entries = list.map((job) => ({ job, exitFile: exitFileFor(job.logs.dir) }));
        const resolved = await this.resolveSubmissions(system, entries, settle);
        if (resolved === undefined) {
          for (const job of list) settle({ index: job.index, ok: false, message: `the outcome of its submission to ${system} by the previous runner is unknown`, detail: 'the batch system could not be asked which jobs of the run exist' });
          continue;
        }
        for (const { job } of resolved.found) handled.add(job.index);
        await this.accept(resolved.found, system, settle);
        for (const job of list) {
          if (handled.has(job.index)) continue;
          handled.add(job.index);
          // Stopped meanwhile: the queue was already emptied.
          if (this.stopped) this.onOutcome({ index: job.index, ok: false, cancelled: true, message: 'cancelled' });
          else this.submitQueue.push(job);
        }
      }
    } catch (error) {
      for (const job of jobs) if (!handled.has(job.index)) settle({ index: job.index, ok: false, ...failureOf(error) });
    } finally {
      this.submitting--;
      this.jobsSubmitting -= jobs.length;
      this.schedulePump();
    }
  }

  /** Jobs started in the same turn of the event loop (the jobs a poll frees slots for) go out together. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pumpSubmissions();
    });
  }

  private pumpSubmissions(): void {
    while (!this.stopped && this.submitting < SUBMIT_CONCURRENCY && this.submitQueue.length > 0) {
      // Checked again after every check of the jobs in flight, which calls this.
      if (this.holdBack()) return;
      const jobs = this.nextSubmission();
      this.submitting++;
      this.jobsSubmitting += jobs.length;
      const settled = new Set<number>();
      const settle = (outcome: TaskOutcome): void => {
        settled.add(outcome.index);
        this.onOutcome(outcome);
      };
      const submitted = jobs.length === 1 ? this.submitAlone(jobs[0]!, settle) : this.submitGroup(jobs, settle);
      submitted
        .catch((error: unknown) => {
          const failure = { ok: false as const, ...failureOf(error) };
          for (const job of jobs) if (!settled.has(job.index) && !this.tracked.has(job.index)) settle({ index: job.index, ...failure });
        })
        .finally(() => {
          this.submitting--;
          this.jobsSubmitting -= jobs.length;
          this.schedulePump();
        });
    }
  }

  /** Whether the queued jobs wait for more to share their submit command (see holdSubmissions). */
  private holdBack(): boolean {
    const first = this.submitQueue[0]!;
    if (this.groupKey(first) === undefined) return false;
    const system = this.systemFor(first.task) as BatchSystemName;
    const answeredAt = this.answeredAt.get(system);
    let waiting = 0;
    for (const tracked of this.tracked.values()) if (tracked.system === system && waitingInQueue(tracked, answeredAt)) waiting++;
    return holdSubmissions(this.submitQueue.length, waiting, MAX_GROUP);
  }

  /** The next job in the queue, with the queued jobs that may share its submit command. */
  private nextSubmission(): TaskJob[] {
    const first = this.submitQueue.shift()!;
    const key = this.groupKey(first);
    if (key === undefined) return [first];
    const jobs = [first];
    for (let i = 0; i < this.submitQueue.length && jobs.length < MAX_GROUP; ) {
      const job = this.submitQueue[i]!;
      if (this.groupKey(job) === key) {
        jobs.push(job);
        this.submitQueue.splice(i, 1);
      } else i++;
    }
    for (const job of jobs) this.groupKeys.delete(job.index);
    return jobs;
  }

  /** Equal keys: same system, same submit commands. Undefined: this job is submitted alone. */
  private groupKey(job: TaskJob): string | undefined {
    if (this.groupKeys.has(job.index)) return this.groupKeys.get(job.index);
    let key: string | undefined;
    if (!this.alone.has(job.index)) {
      const system = this.systemFor(job.task) as BatchSystemName;
      const grouped = plainAdapter(system).grouped;
      if (grouped) {
        try {
          const spec = this.jobSpec(job, system);
          this.specs.set(job.index, spec);
          const own = grouped.groupKey(spec);
          key = own === undefined ? undefined : `${system}\n${own}`;
        } catch {
          // Submitted alone, the same error fails this job with its message.
          key = undefined;
        }
      }
    }
    this.groupKeys.set(job.index, key);
    return key;
  }

  /** Everything a job needs on disk before its submit command: folders, task record, wrapper, submit files. */
  private prepare(job: TaskJob, system: BatchSystemName, adapter: BatchAdapter): { spec: JobSpec; exitFile: string } {
    const task = job.task;
    const spec = this.specs.get(job.index) ?? this.jobSpec(job, system);
    this.specs.delete(job.index);
    const exitFile = exitFileFor(job.logs.dir);
    const newLogDir = writing('the log folder', job.logs.dir, () => mkdirSync(job.logs.dir, { recursive: true }) !== undefined);
    writing('the job folder', spec.taskFileDir, () => mkdirSync(spec.taskFileDir, { recursive: true }));
    if (!newLogDir) {
      // A status file from an earlier attempt or run must not decide this one.
      removeIfThere(exitFile);
      removeIfThere(startedFileFor(job.logs.dir));
    }

    const record = this.taskRecord(job);
    // No reader before the job is submitted (after this), so a plain write is enough.
    const recordFile = path.join(this.options.run.tasks, `${task.taskId}.json`);
    if (record.length > MAX_INLINE_RECORD) writing('the task record', recordFile, () => writeFileSync(recordFile, record));
    // Written for a job submitted with others too: the folder holds what it takes to submit it by hand.
    for (const file of this.jobFiles(job, system, adapter, spec, record)) {
      writing('the job file', file.path, () => writeFileSync(file.path, file.content, file.mode === undefined ? {} : { mode: file.mode }));
    }
    return { spec, exitFile };
  }

  private taskRecord(job: TaskJob): string {
    const { bundle, file, dir: pipelineDir } = this.options.pipeline;
    return JSON.stringify({ path: job.path, bundle, file, pipelineDir } satisfies TaskRecord);
  }

  /** The job's wrapper and submit files, rendered: what `prepare` writes, without writing it. */
  private jobFiles(job: TaskJob, system: BatchSystemName, adapter: BatchAdapter, spec: JobSpec, record: string): JobFile[] {
    const task = job.task;
    const command = [
      ...getSetting<string[]>('executable_prefix', { task }),
      ...getSetting<string[]>('executable', { task }),
      'worker',
      '--task-id',
      task.taskId,
      '--run-dir',
      this.options.run.dir,
      ...(record.length > MAX_INLINE_RECORD ? [] : ['--task-record', record]),
      ...getSetting<string[]>('task_cmd_additional_args', { task }),
    ];
    const envScript = getSetting<string>('env_script', { task });
    const wrapper = renderJobWrapper({
      taskId: task.taskId,
      shell: getSetting<string>('shell', { task }),
      // Transferred files land in the job's sandbox: the job stays there.
      workingDir: sandboxed(spec, system) ? undefined : spec.workingDir,
      ...(envScript ? { envScript: resolveFromPipeline(envScript) } : {}),
      env: getSetting<Record<string, string>>('env', { task }),
      command,
      exitStatusFile: exitFileFor(job.logs.dir),
      startedFile: startedFileFor(job.logs.dir),
    });
    return [{ path: spec.wrapperPath, content: wrapper, mode: 0o755 }, ...adapter.submitFiles(spec)];
  }

  /**
   * One task of each family the run will submit, rendered as its job would
   * be, before anything is submitted: a batch setting that a whole family's
   * jobs could not be submitted with, or what they would all lack (the
   * submit command, env_script, an executable), stops the run at once as
   * bad input, instead of failing those jobs one by one.
   */
  checkSettings(): void {
    const families = new Set<string>();
    for (const node of this.options.graph.nodes) {
      if (node.initial !== 'incomplete' || families.has(node.family) || runsNothing(node.task)) continue;
      families.add(node.family);
      const system = this.systemFor(node.task);
      if (system === 'local') continue;
      const job: TaskJob = { index: node.index, task: node.task, path: [], logs: logPaths(node.task), attempt: 1 };
      try {
        const adapter = plainAdapter(system);
        const spec = this.jobSpec(job, system);
        this.jobFiles(job, system, adapter, spec, this.taskRecord(job));
        preflightJob(node.task, adapter, spec);
      } catch (error) {
        if (!isUserError(error)) throw error;
        throw new UserError(error.reason, `${node.task.toString()} cannot be submitted to ${system}: ${error.message}`, error.hint === undefined ? {} : { hint: error.hint });
      }
    }
  }

  private submitDir(): string {
    const dir = path.join(this.options.run.dir, 'submit');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** One job, one submit command, retried; the journal holds the intent and the id. */
  private async submitAlone(job: TaskJob, settle: (outcome: TaskOutcome) => void): Promise<void> {
    this.alone.delete(job.index);
    const task = job.task;
    const system = this.systemFor(task) as BatchSystemName;
    const adapter = await adapterFor(system);
    const { spec, exitFile } = this.prepare(job, system, adapter);
    this.submitDir();
    const submitCommand = adapter.submitCommand(spec, binaryLookup(task));
    const timeout = getSetting<number>('submit_timeout', { task }) * 1000;
    this.systemsUsed.add(system);
    let lastFailure = '';
    for (let attempt = 1; attempt <= SUBMIT_ATTEMPTS && !this.stopped; attempt++) {
      this.options.journal.append({ type: 'submit-intent', id: task.taskId, attempt: job.attempt, system }, true);
      const result = await runCommand(submitCommand, timeout, { stdoutFile: submitOutputFile(this.options.run, task.taskId, job.attempt) });
      const parsed = result.exitCode === 0 ? adapter.parseSubmitOutput(result.stdout, result.stderr) : undefined;
      if (parsed?.ok) {
        await this.accept([{ job, exitFile, jobId: parsed.value }], system, settle);
        return;
      }
      lastFailure = parsed && !parsed.ok ? `${parsed.error.message}\n${describeCommandFailure(result)}` : describeCommandFailure(result);
      this.options.journal.append({ type: 'submit-failed', id: task.taskId, attempt: job.attempt, system, message: lastFailure });
      if (result.startError) break;
      // The scheduler may have taken the job before the command failed: ask before submitting again.
      const resolved = await this.resolveSubmissions(system, [{ job, exitFile }], settle);
      if (resolved === undefined) {
        settle({ index: job.index, ok: false, message: `the outcome of its submission to ${system} is unknown`, detail: `${lastFailure}\nand the batch system could not be asked which jobs of the run exist` });
        return;
      }
      if (resolved.settled.size > 0) return;
      if (resolved.found.length > 0) {
        await this.accept(resolved.found, system, settle);
        return;
      }
      if (attempt < SUBMIT_ATTEMPTS) await sleep(1000 * 3 ** (attempt - 1));
    }
    settle({
      index: job.index,
      ok: false,
      message: `could not submit to ${system}`,
      detail: lastFailure,
    });
  }

  /**
   * Several jobs, one submit command. The ids come back in order; if the
   * command fails, the jobs it named are kept and the others go back to the
   * queue to be submitted alone, where a failure is retried and reported
   * per job.
   */
  private async submitGroup(jobs: readonly TaskJob[], settle: (outcome: TaskOutcome) => void): Promise<void> {
    const system = this.systemFor(jobs[0]!.task) as BatchSystemName;
    const adapter = await adapterFor(system);
    const grouped = adapter.grouped as GroupedSubmission;
    this.systemsUsed.add(system);
    const prepared: { job: TaskJob; spec: JobSpec; exitFile: string }[] = [];
    for (const job of jobs) {
      try {
        prepared.push({ job, ...this.prepare(job, system, adapter) });
      } catch (error) {
        settle({ index: job.index, ok: false, ...failureOf(error) });
      }
    }
    if (prepared.length === 0) return;
    const first = prepared[0]!.job;
    const output = groupSubmitOutput(first.task.taskId, first.attempt);
    const name = path.basename(output, '.out');
    const { files, command } = grouped.submission(
      prepared.map((p) => p.spec),
      this.submitDir(),
      name,
      binaryLookup(first.task),
    );
    for (const file of files) writeFileSync(file.path, file.content, file.mode === undefined ? {} : { mode: file.mode });
    const journal = this.options.journal;
    prepared.forEach(({ job }, index) =>
      journal.append({ type: 'submit-intent', id: job.task.taskId, attempt: job.attempt, system, group: { output, index } }, index === prepared.length - 1),
    );
    // The same limit as for one job: a rerun after a crash waits that long for an orphaned command.
    const timeout = getSetting<number>('submit_timeout', { task: first.task }) * 1000;
    const result = await runCommand(command, timeout, { stdoutFile: path.join(this.options.run.dir, output) });
    const parsed = grouped.parseSubmitIds(result.stdout, result.stderr);
    const ids = parsed.ok ? parsed.value.slice(0, prepared.length) : [];
    await this.accept(
      ids.map((jobId, index) => ({ ...prepared[index]!, jobId })),
      system,
      settle,
    );
    let rest = prepared.slice(ids.length);
    if (rest.length === 0) return;
    const failure = !parsed.ok && result.exitCode === 0 ? `${parsed.error.message}\n${describeCommandFailure(result)}` : describeCommandFailure(result);
    if (!result.startError) {
      // Some of the jobs it did not name may exist all the same: those are watched, not submitted again.
      const resolved = await this.resolveSubmissions(system, rest, settle);
      if (resolved === undefined) {
        for (const { job } of rest) {
          settle({ index: job.index, ok: false, message: `the outcome of its submission to ${system} is unknown`, detail: `${failure}\nand the batch system could not be asked which jobs of the run exist` });
        }
        return;
      }
      await this.accept(resolved.found, system, settle);
      const done = new Set([...resolved.found.map((r) => r.job.index), ...resolved.settled]);
      rest = rest.filter(({ job }) => !done.has(job.index));
      if (rest.length === 0) return;
    }
    for (const { job } of rest) {
      journal.append({ type: 'submit-failed', id: job.task.taskId, attempt: job.attempt, system, message: failure });
      this.alone.add(job.index);
    }
    if (this.stopped) {
      for (const { job } of rest) settle({ index: job.index, ok: false, cancelled: true, message: 'cancelled' });
      return;
    }
    this.options.emit(`a submit command for ${prepared.length} ${system} jobs ${ids.length > 0 ? `submitted only ${ids.length}` : 'failed'}; submitting the other ${rest.length} one by one:\n${failure}`);
    this.submitQueue.unshift(...rest.map((p) => p.job));
  }

  /** Jobs whose ids are known: journaled, then watched (or killed, if the run was cancelled meanwhile). */
  private async accept(
    jobs: readonly { job: TaskJob; exitFile: string; jobId: string }[],
    system: BatchSystemName,
    settle: (outcome: TaskOutcome) => void,
  ): Promise<void> {
    jobs.forEach(({ job, jobId }, index) => {
      this.knownJobIds.add(jobId);
      this.options.journal.append({ type: 'submitted', id: job.task.taskId, attempt: job.attempt, system, jobId }, index === jobs.length - 1);
    });
    if (this.stopped) {
      // Cancelled while the submit command ran: do not leave the jobs behind.
      if (jobs.length > 0) await this.kill(system, jobs.map((j) => j.jobId));
      for (const { job, jobId } of jobs) settle({ index: job.index, ok: false, cancelled: true, message: 'cancelled', jobId });
      return;
    }
    const now = Date.now();
    for (const { job, exitFile, jobId } of jobs) {
      this.alone.delete(job.index);
      this.tracked.set(job.index, { job, system, jobId, submittedAt: now, exitFile });
    }
  }

  /**
   * Submissions whose outcome is unknown (the command failed, timed out or
   * was killed, perhaps after the scheduler took the job): the jobs of the
   * run that carry their tasks' keys and no journal entry names. One per
   * task is kept; any other such job of the task is cancelled, so that a task
   * never has two live jobs. Undefined when the system could not be asked.
   */
  private async resolveSubmissions<T extends { job: TaskJob; exitFile: string }>(
    system: BatchSystemName,
    pending: readonly T[],
    settle: (outcome: TaskOutcome) => void,
  ): Promise<{ found: (T & { jobId: string })[]; settled: Set<number> } | undefined> {
    // A job may still appear after this answer (a request under way): the last look before leaving catches it.
    this.sweepNeeded = true;
    let query = await queryTaggedJobs(system, this.options.tag);
    for (let attempt = 2; query.error !== undefined && attempt <= RESOLVE_ATTEMPTS; attempt++) {
      await sleep(1000 * 2 ** attempt);
      query = await queryTaggedJobs(system, this.options.tag);
    }
    if (query.error !== undefined) {
      this.sweepNeeded = true;
      this.options.emit(`could not ask ${system} which jobs of the run exist:\n${query.error}`);
      return undefined;
    }
    const byKey = new Map<string, JobStatus[]>();
    for (const status of query.states.values()) {
      if (status.taskKey === undefined || this.knownJobIds.has(status.jobId)) continue;
      byKey.set(status.taskKey, [...(byKey.get(status.taskKey) ?? []), status]);
    }
    const found: (T & { jobId: string })[] = [];
    const settled = new Set<number>();
    const extra: string[] = [];
    for (const entry of pending) {
      // A live job first: that is the one to watch.
      const jobs = [...(byKey.get(taskKey(entry.job.task.taskId)) ?? [])].sort((a, b) => Number(ACTIVE_STATES.has(b.state)) - Number(ACTIVE_STATES.has(a.state)));
      if (jobs.length === 0) {
        // Its job ran and left the queue before the question: its exit status says how it went.
        const exitStatus = readExitStatus(entry.exitFile);
        if (exitStatus === undefined) continue;
        settled.add(entry.job.index);
        this.options.emit(`the ${system} job of ${entry.job.task.toString()}, whose submit command gave no answer, already ran (exit status ${exitStatus})`);
        settle(exitStatus === 0 ? { index: entry.job.index, ok: true } : { index: entry.job.index, ok: false, message: `the task exited with code ${exitStatus}`, exitCode: exitStatus });
        continue;
      }
      found.push({ ...entry, jobId: jobs[0]!.jobId });
      extra.push(...jobs.slice(1).filter((status) => ACTIVE_STATES.has(status.state)).map((status) => status.jobId));
    }
    if (found.length > 0) this.options.emit(`found ${found.length} ${system} job(s) whose submit command gave no answer: ${found.map((f) => f.jobId).join(' ')}; watching them instead of submitting again`);
    if (extra.length > 0) {
      this.options.emit(`cancelling ${extra.length} extra ${system} job(s) of tasks that already have one: ${extra.join(' ')}`);
      await this.kill(system, extra);
    }
    return { found, settled };
  }

  private jobSpec(job: TaskJob, system: BatchSystemName): JobSpec {
    const task = job.task;
    const optional = <T>(key: string): T | undefined => getSetting<T | undefined>(key, { task, default: undefined });
    const cpus = optional<number>('cpus') ?? optional<number>('job_slots');
    const memory = optional<number>('memory');
    const walltime = optional<number>('walltime');
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
      runTag: this.options.tag,
      taskKey: taskKey(task.taskId),
      jobName: optional<string>('job_name') ?? task.taskFamily,
      wrapperPath: path.join(taskFileDir(task), 'executable_wrapper.sh'),
      taskFileDir: taskFileDir(task),
      stdoutPath: job.logs.stdout,
      stderrPath: job.logs.stderr,
      jobLogPath: path.join(job.logs.dir, 'job.log'),
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
    };
  }

  /** Exit files are cheap to look at; the queue is asked at most once per poll interval. */
  private checkIntervalMs(): number {
    return Math.min(1000, getSetting<number>('poll_interval') * 1000);
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    const bySystem = new Map<BatchSystemName, TrackedJob[]>();
    for (const tracked of this.tracked.values()) {
      if (exitFileWorthReading(tracked, this.answeredAt.get(tracked.system))) tracked.exitStatus = readExitStatus(tracked.exitFile);
      const list = bySystem.get(tracked.system) ?? [];
      list.push(tracked);
      bySystem.set(tracked.system, list);
    }
    // A slow queue must not hold up the exit files: its answer is used at the check after it arrives.
    for (const [system, jobs] of bySystem) {
      if (this.querying.has(system) || now < (this.nextQueryAt.get(system) ?? 0)) continue;
      this.querying.add(system);
      this.refreshQueue(system, jobs)
        .catch((error: unknown) => this.options.emit(`status query to ${system} failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => this.querying.delete(system));
    }
    const lostGraceMs = getSetting<number>('lost_job_grace') * 1000;
    for (const tracked of [...this.tracked.values()]) {
      // As read at the start of this check: a file that appeared since counts at the next one.
      if (!nothingToJudge(tracked) && !this.awaitingQueue(tracked)) await this.judge(tracked, lostGraceMs);
    }
    // Jobs held back to go out together: the queue may have moved on.
    if (this.submitQueue.length > 0) this.schedulePump();
  }

  private async refreshQueue(system: BatchSystemName, jobs: TrackedJob[]): Promise<void> {
    const pollMs = getSetting<number>('poll_interval') * 1000;
    // A recorded exit status settles a job without asking, unless a signal ended it:
    // then only the queue can tell a walltime kill or a cancellation from a crash.
    const open = jobs.filter((job) => job.exitStatus === undefined || job.exitStatus > 128);
    if (open.length === 0) return;
    const askedAt = Date.now();
    const byId = new Map(open.map((job) => [job.jobId, job]));
    // A job that left the queue has mostly just written its exit file: then its history has nothing to add.
    const settled = (jobId: string): boolean => {
      const job = byId.get(jobId);
      if (job === undefined) return false;
      job.exitStatus = readExitStatus(job.exitFile);
      return job.exitStatus !== undefined && job.exitStatus <= 128;
    };
    const query = await queryJobStates(system, [...byId.keys()], this.options.tag, { settled });
    if (query.error !== undefined) {
      // A failing query never fails a job by itself: back off and ask again later.
      this.answeredAt.delete(system);
      const failures = (this.queryFailures.get(system) ?? 0) + 1;
      this.queryFailures.set(system, failures);
      const delay = Math.min(MAX_QUERY_BACKOFF_MS, pollMs * 2 ** failures);
      this.nextQueryAt.set(system, Date.now() + delay);
      if (failures === 1 || failures % 10 === 0) {
        this.options.emit(`status query to ${system} failed (${failures}x), retrying in ${Math.round(delay / 1000)} s:\n${query.error}`);
      }
      return;
    }
    this.queryFailures.set(system, 0);
    this.answeredAt.set(system, askedAt);
    this.nextQueryAt.set(system, Date.now() + pollMs);
    const seenAt = Date.now();
    for (const job of open) {
      const status = query.states.get(job.jobId);
      if (!status) {
        // Only an answer to a question asked after the submission can say the job is gone.
        if (job.submittedAt <= askedAt) job.missingSince ??= askedAt;
        continue;
      }
      job.queue = status;
      if (status.state === 'held') job.heldSince ??= askedAt;
      else delete job.heldSince;
      // The state held when the question was asked: a slow answer is that much older.
      job.lastSeenAt = askedAt;
      delete job.missingSince;
      if (['succeeded', 'failed', 'cancelled', 'timeout'].includes(status.state)) job.endedAt ??= seenAt;
    }
  }

  /**
   * An adopted job that a signal ended, not yet seen by the queue: only the
   * queue can say whether someone removed it while no runner watched (then it
   * is submitted again) or it failed.
   */
  private awaitingQueue(tracked: TrackedJob): boolean {
    return tracked.adopted === true && (tracked.exitStatus ?? 0) > 128 && tracked.queue === undefined && tracked.missingSince === undefined;
  }

  private async judge(tracked: TrackedJob, lostGraceMs: number): Promise<void> {
    const exitStatus = tracked.exitStatus;
    const verdict = judgeJob({
      ...(exitStatus === undefined ? {} : { exitStatus }),
      ...(tracked.queue ? { queue: tracked.queue } : {}),
      ...(tracked.lastSeenAt === undefined ? {} : { lastSeenAt: tracked.lastSeenAt }),
      ...(tracked.missingSince === undefined ? {} : { missingSince: tracked.missingSince }),
      ...(tracked.endedAt === undefined ? {} : { endedAt: tracked.endedAt }),
      ...(tracked.heldSince === undefined ? {} : { heldSince: tracked.heldSince }),
      now: Date.now(),
      lostGraceMs,
      exitFileGraceMs: EXIT_FILE_GRACE_MS,
      heldGraceMs: getSetting<number>('held_grace', { task: tracked.job.task }) * 1000,
    });
    if (verdict.kind === 'wait') return;
    this.tracked.delete(tracked.job.index);
    if (verdict.kind === 'succeeded') {
      this.onOutcome({ index: tracked.job.index, ok: true });
      return;
    }
    if (verdict.reason === 'cancelled' && tracked.adopted && !this.stopped) {
      // Removed (condor_rm, scancel, ...) while no runner watched it: the task did not fail, it was stopped.
      this.options.emit(`${tracked.system} job ${tracked.jobId} of ${tracked.job.task.toString()} was cancelled while no runner watched it: submitting it again`);
      this.submitQueue.push(tracked.job);
      this.schedulePump();
      return;
    }
    // Held jobs stay in the system; a "lost" or ended job might linger somewhere: never leave one behind.
    if (verdict.kill || verdict.reason === 'lost' || verdict.reason === 'ended') await this.kill(tracked.system, [tracked.jobId]);
    this.onOutcome({
      index: tracked.job.index,
      ok: false,
      message: (verdict.reason === 'exit' ? this.explainExit(tracked, verdict.exitCode) : undefined) ?? verdict.message,
      jobId: tracked.jobId,
      ...(verdict.exitCode === undefined ? {} : { exitCode: verdict.exitCode }),
      ...(tracked.queue?.reason ? { detail: `batch system: ${tracked.system}, state ${tracked.queue.native}: ${tracked.queue.reason}` } : {}),
    });
  }

  /** The system's reading of a non-zero exit, from the end of the job's stderr (see BatchAdapter.explainExit). */
  private explainExit(tracked: TrackedJob, exitStatus: number | undefined): string | undefined {
    const adapter = plainAdapter(tracked.system);
    if (exitStatus === undefined || !adapter.explainExit) return undefined;
    try {
      return adapter.explainExit(this.jobSpec(tracked.job, tracked.system), exitStatus, lastLines(tracked.job.logs.stderr, 40).join('\n'));
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
    return { jobs: [...this.tracked.values()], beingSubmitted: this.jobsSubmitting };
  }

  async cancelAll(): Promise<void> {
    this.stopped = true;
    this.sweepNeeded = true;
    this.checks.stop();
    for (const job of this.submitQueue.splice(0)) this.onOutcome({ index: job.index, ok: false, cancelled: true, message: 'cancelled' });
    const localDone = this.local?.cancelAll();
    // Submissions under way finish first, so that their job ids are known and killed too.
    while (this.submitting > 0) await sleep(50);
    const bySystem = new Map<BatchSystemName, TrackedJob[]>();
    for (const tracked of this.tracked.values()) bySystem.set(tracked.system, [...(bySystem.get(tracked.system) ?? []), tracked]);
    for (const [system, jobs] of bySystem) {
      this.options.emit(`cancelling ${jobs.length} ${system} job(s): ${jobs.map((j) => j.jobId).join(' ')}`);
      await this.kill(system, jobs.map((job) => job.jobId));
    }
    await this.waitUntilGone(bySystem);
    for (const tracked of [...this.tracked.values()]) {
      this.tracked.delete(tracked.job.index);
      this.onOutcome({ index: tracked.job.index, ok: false, cancelled: true, message: 'cancelled', jobId: tracked.jobId });
    }
    await localDone;
  }

  /** After a kill, wait until the queue no longer lists the jobs as pending or running. */
  private async waitUntilGone(bySystem: Map<BatchSystemName, TrackedJob[]>): Promise<void> {
    const deadline = Date.now() + KILL_WAIT_MS;
    for (const [system, jobs] of bySystem) {
      while (Date.now() < deadline) {
        const query = await queryJobStates(system, jobs.map((job) => job.jobId), this.options.tag);
        if (query.error === undefined && ![...query.states.values()].some((s) => ACTIVE_STATES.has(s.state))) break;
        await sleep(500);
      }
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.checks.stop();
    if (this.sweepNeeded) await this.cancelUnknownJobs();
    await this.local?.close();
  }

  /** One query by run tag per system: jobs of the run that no journal entry names are cancelled. */
  private async cancelUnknownJobs(): Promise<void> {
    this.sweepNeeded = false;
    for (const system of this.systemsUsed) {
      const swept = await cancelUnknownJobs(system, this.options.tag, this.knownJobIds);
      if ('error' in swept) {
        this.options.emit(`could not ask ${system} for jobs of the run that a submit command left unnamed; b2 kill ${this.options.run.runId} cancels them:\n${swept.error}`);
      } else if (swept.cancelled.length > 0) {
        this.options.emit(`cancelled ${swept.cancelled.length} ${system} job(s) of the run that no submit command named: ${swept.cancelled.join(' ')}`);
      }
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const checkBatchSystemAvailable = (system: BatchSystemName, binary: string): void => {
  if (!which(binary)) {
    throw new UserError('batch-system-missing', `batch_system is ${system}, but ${binary} is not on PATH.`, {
      hint: `Run on a submit host of your ${system} cluster, or set batch_system (e.g. --batch-system local).`,
    });
  }
};
