/**
 * Submitting jobs: a queue of jobs to submit, grouped where the system takes
 * several per command and held back while the farm still has this run's jobs
 * waiting; each submission journaled as an intent before its command and by
 * its job id after. A command that fails may have left jobs all the same:
 * the system is asked for the run's jobs of those tasks before any is
 * submitted again.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, isUserError } from '../errors.js';
import { taskKey } from '../systems/task-key.js';
import type { ArraySubmission, BatchAdapter, GroupedSubmission, JobSpec, JobStatus, SiteLimits } from '../systems/contract.js';
import type { BatchSystemName } from '../systems/registry.js';
import type { Task } from '../pipeline/task.js';
import type { JobEvent } from '../scheduler/events.js';
import { arrayKeysFile, arrayName, arraySubmitOutputFile, groupSubmitOutput, inRunDir, jobFilesIn, submitDir, submitOutputFile } from '../run/layout.js';
import { getSetting } from '../settings/index.js';
import { cancelledOutcome, type TaskJob, type TaskOutcome } from '../executors/executor.js';
import { exitReason } from '../run/failure.js';
import { sleep } from '../util/sleep.js';
import { describeCommandFailure, runCommand } from './run-command.js';
import { backoffMs, classifySubmitFailure } from './submit-retry.js';
import { ACTIVE_STATES, adapterFor, binaryLookup, plainAdapter, queryTaggedJobs } from './client.js';
import { holdSubmissions } from './judge.js';
import { goesInArray, jobSpec, packedSpec, prepareJob, type JobContext } from './job.js';
import { arrayLength, keysFileContent, keysFileReader, newArrayKey, splitIntoArrays } from './arrays.js';
import { newTrackedJob, type Watch } from './watch.js';
import { readExitStatusFile } from '../wrapper/wrapper.js';
import { makeFolders } from '../util/files.js';

const SUBMIT_CONCURRENCY = 8;
const BACKOFF_NOTE_EVERY_MS = 30_000;
// Jobs in one submit command, where the system takes several (HTCondor).
const MAX_GROUP = 200;
// Tasks taken from the queue for arrays at once; cut into arrays at the site's limits.
const MAX_ARRAY_BATCH = 1_000_000;
// Group keys of tasks that go out as arrays start so.
const ARRAY_KEY = 'array\n';

/** A job with its files on disk, ready for its submit command. */
interface Prepared {
  readonly job: TaskJob;
  readonly spec: JobSpec;
  readonly exitFile: string;
}
// Tries at asking which jobs a submission of unknown outcome left, before giving up on it.
const RESOLVE_ATTEMPTS = 3;

/** A job that could not be prepared or submitted: the error's message, and its hint as the detail. */
export const failureOf = (error: unknown): { message: string; detail?: string } =>
  isUserError(error) && error.hint !== undefined ? { message: error.message, detail: error.hint } : { message: errorMessage(error) };

export interface SubmitterOptions {
  readonly ctx: JobContext;
  /** Delivered synchronously: a submit intent is journaled when this returns. */
  readonly emit: (event: JobEvent) => void;
  readonly watch: Watch;
  readonly systemFor: (task: Task) => BatchSystemName;
  readonly onOutcome: (outcome: TaskOutcome) => void;
  readonly kill: (system: BatchSystemName, jobIds: readonly string[]) => Promise<void>;
  /** Every job id the journal names: a job of the run outside this set was left by a submission nobody heard back from. */
  readonly knownJobIds: Set<string>;
  readonly systemsUsed: Set<BatchSystemName>;
  /** A submission's outcome stayed unknown: the runner looks for jobs nobody knows before leaving. */
  readonly sweepNeeded: () => void;
}

export class Submitter {
  private readonly queue: TaskJob[] = [];
  /** Submit commands under way, and the jobs they carry. */
  private submitting = 0;
  private jobsSubmitting = 0;
  private pumpScheduled = false;
  /** Jobs to submit on their own: their group's command failed. */
  private readonly alone = new Set<number>();
  /** Group keys of queued jobs (node index -> key; undefined: alone), and the job specs they came from. */
  private readonly groupKeys = new Map<number, string | undefined>();
  private readonly specs = new Map<number, JobSpec>();
  /** Tasks a dead runner submitted without hearing back, asked for together in the next turn of the event loop. */
  private readonly inherited: TaskJob[] = [];
  private stopped = false;
  /** Failed array submit commands per task: after 1 + submit_retries the task fails. */
  private readonly arrayFailures = new Map<number, { readonly tries: number; readonly first: string }>();
  private arraySerial = 0;
  /** Each system's limits on arrays, asked once per run. */
  private readonly limits = new Map<BatchSystemName, Promise<SiteLimits>>();

  constructor(private readonly options: SubmitterOptions) {}

  /** Anything queued or under way. */
  get busy(): boolean {
    return this.queue.length > 0 || this.submitting > 0;
  }

  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Whether any task went out in an array. */
  arraysSubmitted = false;

  /** Jobs whose submit command is under way. */
  get beingSubmitted(): number {
    return this.jobsSubmitting;
  }

  enqueue(job: TaskJob): void {
    this.queue.push(job);
    this.schedulePump();
  }

  /** A job whose submission by a dead runner of this run never named a job: asked for before submitting. */
  resolveInherited(job: TaskJob): void {
    this.inherited.push(job);
    if (this.inherited.length === 1) setImmediate(() => void this.resolveInheritedNow());
  }

  /** No more submissions: the queued jobs, taken out. */
  stop(): TaskJob[] {
    this.stopped = true;
    return this.queue.splice(0);
  }

  async settled(): Promise<void> {
    // Submissions under way finish first, so that their job ids are known and killed too.
    while (this.submitting > 0) await sleep(50);
  }

  /** Jobs started in the same turn of the event loop (the jobs a poll frees slots for) go out together. */
  schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Tasks whose submission by a dead runner never named a job: their jobs
   * may exist. One query per system finds them; those found are watched, those
   * that already ran are settled by their exit status, the others submitted.
   */
  private async resolveInheritedNow(): Promise<void> {
    const jobs = this.inherited.splice(0);
    const handled = new Set<number>();
    const settle = (outcome: TaskOutcome): void => {
      handled.add(outcome.index);
      this.options.onOutcome(outcome);
    };
    this.submitting++;
    this.jobsSubmitting += jobs.length;
    try {
      const bySystem = new Map<BatchSystemName, TaskJob[]>();
      for (const job of jobs) {
        const system = this.options.systemFor(job.task);
        bySystem.set(system, [...(bySystem.get(system) ?? []), job]);
      }
      for (const [system, list] of bySystem) {
        this.options.systemsUsed.add(system);
        const entries = list.map((job) => ({ job, exitFile: jobFilesIn(job.logs.dir).exitStatus }));
        const resolved = await this.resolveSubmissions(system, entries, settle);
        if (resolved === undefined) {
          for (const job of list) settle({ index: job.index, ok: false, reason: 'submit', message: `the outcome of its submission to ${system} by the previous runner is unknown`, detail: 'the batch system could not be asked which jobs of the run exist' });
          continue;
        }
        for (const { job } of resolved.found) handled.add(job.index);
        await this.accept(resolved.found, system, settle, 'found');
        for (const job of list) {
          if (handled.has(job.index)) continue;
          handled.add(job.index);
          // Stopped meanwhile: the queue was already emptied.
          if (this.stopped) this.options.onOutcome(cancelledOutcome(job.index));
          else this.queue.push(job);
        }
      }
    } catch (error) {
      for (const job of jobs) if (!handled.has(job.index)) settle({ index: job.index, ok: false, reason: 'submit', ...failureOf(error) });
    } finally {
      this.submitting--;
      this.jobsSubmitting -= jobs.length;
      this.schedulePump();
    }
  }

  private pump(): void {
    while (!this.stopped && this.submitting < SUBMIT_CONCURRENCY && this.queue.length > 0) {
      // Checked again after every check of the jobs in flight, which calls this.
      if (this.holdBack()) return;
      const { jobs, array } = this.nextSubmission();
      this.submitting++;
      this.jobsSubmitting += jobs.length;
      const settled = new Set<number>();
      const settle = (outcome: TaskOutcome): void => {
        settled.add(outcome.index);
        this.options.onOutcome(outcome);
      };
      const submitted = array ? this.submitArrays(jobs, settle) : jobs.length === 1 ? this.submitAlone(jobs[0]!, settle) : this.submitGroup(jobs, settle);
      submitted
        .catch((error: unknown) => {
          const failure = { ok: false as const, reason: 'submit' as const, ...failureOf(error) };
          for (const job of jobs) if (!settled.has(job.index) && !this.options.watch.has(job.index)) settle({ index: job.index, ...failure });
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
    const first = this.queue[0]!;
    const key = this.groupKey(first);
    if (key === undefined) return false;
    const waiting = this.options.watch.waitingIn(this.options.systemFor(first.task));
    return holdSubmissions(this.queue.length, waiting, key.startsWith(ARRAY_KEY) ? MAX_ARRAY_BATCH : MAX_GROUP);
  }

  /** The next job in the queue, with the queued jobs that may share its submit command (or its arrays). */
  private nextSubmission(): { jobs: TaskJob[]; array: boolean } {
    const first = this.queue.shift()!;
    const key = this.groupKey(first);
    if (key === undefined) return { jobs: [first], array: false };
    const array = key.startsWith(ARRAY_KEY);
    const max = array ? MAX_ARRAY_BATCH : MAX_GROUP;
    const jobs = [first];
    // One pass: a queue of a million tasks must not be spliced one by one.
    const rest: TaskJob[] = [];
    for (const job of this.queue) (jobs.length < max && this.groupKey(job) === key ? jobs : rest).push(job);
    this.queue.length = 0;
    for (const job of rest) this.queue.push(job);
    for (const job of jobs) this.groupKeys.delete(job.index);
    return { jobs, array };
  }

  /** Equal keys: same system, same submit commands. Undefined: this job is submitted alone. */
  private groupKey(job: TaskJob): string | undefined {
    if (this.groupKeys.has(job.index)) return this.groupKeys.get(job.index);
    let key: string | undefined;
    if (!this.alone.has(job.index)) {
      const system = this.options.systemFor(job.task);
      const { grouped, array } = plainAdapter(system);
      if (grouped || array) {
        try {
          const spec = jobSpec(this.options.ctx, job.task, job.logs, system);
          this.specs.set(job.index, spec);
          if (array && goesInArray(spec, array)) {
            key = `${ARRAY_KEY}${system}\n${JSON.stringify(spec.bulk)}\n${array.groupKey(spec)}`;
          } else {
            const own = grouped?.groupKey(spec);
            key = own === undefined ? undefined : `${system}\n${own}`;
          }
        } catch {
          // Submitted alone, the same error fails this job with its message.
          key = undefined;
        }
      }
    }
    this.groupKeys.set(job.index, key);
    return key;
  }

  /** The job's files on disk (see prepareJob), with its spec as grouping computed it. */
  private prepare(job: TaskJob, system: BatchSystemName, adapter: BatchAdapter, submitFiles = true): { spec: JobSpec; exitFile: string } {
    const spec = this.specs.get(job.index) ?? jobSpec(this.options.ctx, job.task, job.logs, system);
    this.specs.delete(job.index);
    prepareJob(this.options.ctx, job, system, adapter, spec, submitFiles);
    return { spec, exitFile: jobFilesIn(job.logs.dir).exitStatus };
  }

  private submitDir(): string {
    const dir = submitDir(this.options.ctx.run);
    makeFolders(dir);
    return dir;
  }

  /** One job, one submit command, retried; the journal holds the intent and the id. */
  private async submitAlone(job: TaskJob, settle: (outcome: TaskOutcome) => void): Promise<void> {
    this.alone.delete(job.index);
    const task = job.task;
    const system = this.options.systemFor(task);
    const adapter = await adapterFor(system);
    const { spec, exitFile } = this.prepare(job, system, adapter);
    this.submitDir();
    const submitCommand = adapter.submitCommand(spec, binaryLookup(task));
    const timeout = getSetting<number>('submit_timeout', { task }) * 1000;
    const { emit, ctx } = this.options;
    const jobs = [{ index: job.index, attempt: job.attempt }];
    this.options.systemsUsed.add(system);
    let lastFailure = '';
    let firstFailure = '';
    const tries = 1 + getSetting<number>('submit_retries', { task });
    let attempt = 1;
    for (; attempt <= tries && !this.stopped; attempt++) {
      emit({ type: 'job-submit-intent', system, jobs });
      const result = await runCommand(submitCommand, timeout, { stdoutFile: submitOutputFile(ctx.run, task.taskId, job.attempt) });
      const parsed = result.exitCode === 0 ? adapter.parseSubmitOutput(result.stdout, result.stderr) : undefined;
      if (parsed?.ok) {
        await this.accept([{ job, exitFile, jobId: parsed.value }], system, settle, 'submitted');
        return;
      }
      lastFailure = parsed && !parsed.ok ? `${parsed.error.message}\n${describeCommandFailure(result)}` : describeCommandFailure(result);
      firstFailure ||= lastFailure;
      emit({ type: 'job-submit-failed', system, jobs, error: lastFailure });
      // A rejection (bad option, unknown queue) made no job and will not clear up: fail at once.
      if (parsed === undefined && classifySubmitFailure(result) === 'permanent') {
        settle({ index: job.index, ok: false, reason: 'submit', message: `could not submit to ${system}`, detail: lastFailure });
        return;
      }
      // The scheduler may have taken the job before the command failed: ask before submitting again.
      const resolved = await this.resolveSubmissions(system, [{ job, exitFile }], settle);
      if (resolved === undefined) {
        settle({ index: job.index, ok: false, reason: 'submit', message: `the outcome of its submission to ${system} is unknown`, detail: `${lastFailure}\nand the batch system could not be asked which jobs of the run exist` });
        return;
      }
      if (resolved.settled.size > 0) return;
      if (resolved.found.length > 0) {
        await this.accept(resolved.found, system, settle, 'found');
        return;
      }
      if (attempt < tries) {
        const waitMs = backoffMs(attempt, Math.random());
        this.noteBackoff({ type: 'submit-backoff', system, index: job.index, tries: attempt, of: tries, delayMs: waitMs, error: lastFailure });
        await sleep(waitMs);
      }
    }
    const tried = Math.min(attempt - 1, tries);
    settle({
      index: job.index,
      ok: false,
      reason: 'submit',
      message: `could not submit to ${system}${tried > 1 ? ` (${tried} tries, the system kept failing for a passing reason)` : ''}`,
      detail: tried > 1 && firstFailure !== lastFailure ? `first try:\n${firstFailure}\nlast try:\n${lastFailure}` : lastFailure,
    });
  }

  private lastBackoffNote = 0;

  /** A farm in trouble fails many submissions at once: one note per half minute tells the story. */
  private noteBackoff(event: JobEvent): void {
    const now = Date.now();
    if (now - this.lastBackoffNote < BACKOFF_NOTE_EVERY_MS) return;
    this.lastBackoffNote = now;
    this.options.emit(event);
  }

  /**
   * Several jobs, one submit command. The ids come back in order; if the
   * command fails, the jobs it named are kept and the others go back to the
   * queue to be submitted alone, where a failure is retried and reported
   * per job.
   */
  private async submitGroup(jobs: readonly TaskJob[], settle: (outcome: TaskOutcome) => void): Promise<void> {
    const system = this.options.systemFor(jobs[0]!.task);
    const adapter = await adapterFor(system);
    const grouped = adapter.grouped as GroupedSubmission;
    this.options.systemsUsed.add(system);
    const prepared: { job: TaskJob; spec: JobSpec; exitFile: string }[] = [];
    for (const job of jobs) {
      try {
        prepared.push({ job, ...this.prepare(job, system, adapter) });
      } catch (error) {
        settle({ index: job.index, ok: false, reason: 'submit', ...failureOf(error) });
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
    const { emit } = this.options;
    emit({ type: 'job-submit-intent', system, jobs: prepared.map(({ job }) => ({ index: job.index, attempt: job.attempt })), group: output });
    // The same limit as for one job: a rerun after a crash waits that long for an orphaned command.
    const timeout = getSetting<number>('submit_timeout', { task: first.task }) * 1000;
    const result = await runCommand(command, timeout, { stdoutFile: inRunDir(this.options.ctx.run, output) });
    const parsed = grouped.parseSubmitIds(result.stdout, result.stderr);
    const ids = parsed.ok ? parsed.value.slice(0, prepared.length) : [];
    await this.accept(
      ids.map((jobId, index) => ({ ...prepared[index]!, jobId })),
      system,
      settle,
      'submitted',
    );
    let rest: readonly Prepared[] = prepared.slice(ids.length);
    if (rest.length === 0) return;
    const failure = !parsed.ok && result.exitCode === 0 ? `${parsed.error.message}\n${describeCommandFailure(result)}` : describeCommandFailure(result);
    if (!result.startError) {
      // Some of the jobs it did not name may exist all the same: those are watched, not submitted again.
      rest = await this.notFoundAfterFailure(system, rest, failure, settle);
      if (rest.length === 0) return;
    }
    emit({ type: 'job-submit-failed', system, jobs: rest.map(({ job }) => ({ index: job.index, attempt: job.attempt })), error: failure });
    for (const { job } of rest) this.alone.add(job.index);
    if (this.stopped) {
      for (const { job } of rest) settle(cancelledOutcome(job.index));
      return;
    }
    emit({ type: 'submit-group-split', system, size: prepared.length, named: ids.length, alone: rest.length, error: failure });
    this.queue.unshift(...rest.map((p) => p.job));
  }

  /**
   * After a submit command that failed: the jobs of `rest` the system has all
   * the same are watched, those that already ran are settled, and the others
   * returned, to go out again. When the system cannot be asked, every one
   * fails (none is returned) rather than risk a second job.
   */
  private async notFoundAfterFailure(system: BatchSystemName, rest: readonly Prepared[], failure: string, settle: (outcome: TaskOutcome) => void): Promise<readonly Prepared[]> {
    const resolved = await this.resolveSubmissions(system, rest, settle);
    if (resolved === undefined) {
      for (const { job } of rest) {
        settle({ index: job.index, ok: false, reason: 'submit', message: `the outcome of its submission to ${system} is unknown`, detail: `${failure}\nand the batch system could not be asked which jobs of the run exist` });
      }
      return [];
    }
    await this.accept(resolved.found, system, settle, 'found');
    const done = new Set([...resolved.found.map((r) => r.job.index), ...resolved.settled]);
    return rest.filter(({ job }) => !done.has(job.index));
  }

  /** The system's limits on arrays (see SiteLimits), asked once per run; none when it does not tell. */
  private siteLimits(system: BatchSystemName, array: ArraySubmission): Promise<SiteLimits> {
    let limits = this.limits.get(system);
    if (limits === undefined) {
      limits = (async (): Promise<SiteLimits> => {
        if (array.limits === undefined) return {};
        const result = await runCommand(array.limits.command(binaryLookup()), getSetting<number>('status_query_timeout') * 1000);
        return array.limits.parse(result.stdout, result.stderr, result.exitCode);
      })();
      this.limits.set(system, limits);
    }
    return limits;
  }

  /**
   * Tasks of one family as arrays: their files written, then cut into
   * elements (tasks_per_job each) and arrays (at the site's limits), one
   * submit command per array.
   */
  private async submitArrays(jobs: readonly TaskJob[], settle: (outcome: TaskOutcome) => void): Promise<void> {
    const system = this.options.systemFor(jobs[0]!.task);
    const adapter = await adapterFor(system);
    const array = adapter.array as ArraySubmission;
    this.options.systemsUsed.add(system);
    const limits = await this.siteLimits(system, array);
    const prepared: Prepared[] = [];
    for (const job of jobs) {
      try {
        // The array script runs the wrapper: no submit file of the task's own.
        prepared.push({ job, ...this.prepare(job, system, adapter, false) });
      } catch (error) {
        settle({ index: job.index, ok: false, reason: 'submit', ...failureOf(error) });
      }
    }
    if (prepared.length === 0) return;
    const bulk = prepared[0]!.spec.bulk!;
    for (const elements of splitIntoArrays(prepared, arrayLength(bulk, limits), bulk.tasksPerJob)) {
      if (this.stopped) {
        for (const { job } of elements.flat()) settle(cancelledOutcome(job.index));
        continue;
      }
      try {
        await this.submitArray(system, array, elements, settle);
      } catch (error) {
        const failure = { ok: false as const, reason: 'submit' as const, ...failureOf(error) };
        for (const { job } of elements.flat()) if (!this.options.watch.has(job.index)) settle({ index: job.index, ...failure });
      }
    }
  }

  /**
   * One array: its keys file (which element runs which tasks) and script
   * written, every task's intent journaled, then its submit command. Each
   * task is accepted with its element's id. When the command fails, the
   * run's jobs are asked for first (it may have left the array all the
   * same); the tasks it did not leave go back to the queue, to go out in
   * the next array after a backoff, and fail after 1 + submit_retries tries,
   * or at once when the system rejected the array (submit-retry.ts).
   */
  private async submitArray(system: BatchSystemName, array: ArraySubmission, elements: readonly (readonly Prepared[])[], settle: (outcome: TaskOutcome) => void): Promise<void> {
    const { ctx, emit } = this.options;
    const all = elements.flat();
    const refs = (list: readonly Prepared[]): { index: number; attempt: number }[] => list.map(({ job }) => ({ index: job.index, attempt: job.attempt }));
    const first = all[0]!;
    const arrayKey = newArrayKey(ctx.tag, first.job.task.taskId, this.arraySerial++);
    const dir = this.submitDir();
    const largest = Math.max(...elements.map((element) => element.length));
    const { files, command } = array.submission(
      { elements: elements.map((element) => element.map((p) => p.spec)), options: packedSpec(first.spec, largest), arrayKey, dir, name: arrayName(arrayKey) },
      binaryLookup(first.job.task),
    );
    // Before the command: a runner that never hears its answer finds each element's tasks here.
    writeFileSync(arrayKeysFile(ctx.run, arrayKey), keysFileContent(elements.map((element) => element.map((p) => p.spec.taskKey))));
    for (const file of files) writeFileSync(file.path, file.content, file.mode === undefined ? {} : { mode: file.mode });
    // No `group`: the array's output names one id, not one per task; a rerun finds the elements by the keys file.
    emit({ type: 'job-submit-intent', system, jobs: refs(all) });
    const timeout = getSetting<number>('submit_timeout', { task: first.job.task }) * 1000;
    const result = await runCommand(command, timeout, { stdoutFile: arraySubmitOutputFile(ctx.run, arrayKey) });
    const parsed = result.exitCode === 0 ? array.parseArrayId(result.stdout, result.stderr) : undefined;
    if (parsed?.ok) {
      this.arraysSubmitted = true;
      const arrayId = parsed.value;
      await this.accept(
        elements.flatMap((element, i) => element.map((p) => ({ ...p, jobId: array.elementId(arrayId, i + 1) }))),
        system,
        settle,
        'submitted',
      );
      return;
    }
    const failure = parsed && !parsed.ok ? `${parsed.error.message}\n${describeCommandFailure(result)}` : describeCommandFailure(result);
    let rest: readonly Prepared[] = all;
    if (!result.startError) {
      // The array may exist all the same: its elements are watched, not submitted again.
      rest = await this.notFoundAfterFailure(system, rest, failure, settle);
      if (rest.length === 0) return;
    }
    emit({ type: 'job-submit-failed', system, jobs: refs(rest), error: failure });
    if (this.stopped) {
      for (const { job } of rest) settle(cancelledOutcome(job.index));
      return;
    }
    let attempts = 0;
    const again: TaskJob[] = [];
    const passing = parsed !== undefined || classifySubmitFailure(result) === 'transient';
    const tries = 1 + getSetting<number>('submit_retries', { task: first.job.task });
    for (const { job } of rest) {
      const earlier = this.arrayFailures.get(job.index);
      const failures = (earlier?.tries ?? 0) + 1;
      attempts = Math.max(attempts, failures);
      if (failures < tries && passing) {
        this.arrayFailures.set(job.index, { tries: failures, first: earlier?.first ?? failure });
        again.push(job);
        continue;
      }
      this.arrayFailures.delete(job.index);
      // As for a job submitted alone: how often it was tried, and the first and last answers.
      const first = earlier?.first ?? failure;
      settle({
        index: job.index,
        ok: false,
        reason: 'submit',
        message: `could not submit to ${system}${failures > 1 ? ` (${failures} tries, the system kept failing for a passing reason)` : ''}`,
        detail: failures > 1 && first !== failure ? `first try:\n${first}\nlast try:\n${failure}` : failure,
      });
    }
    if (again.length === 0) return;
    const waitMs = backoffMs(attempts, Math.random());
    emit({ type: 'array-submit-failed', system, size: all.length, again: again.length, tries: attempts, of: tries, delayMs: waitMs, error: failure });
    await sleep(waitMs);
    if (this.stopped) {
      for (const job of again) settle(cancelledOutcome(job.index));
      return;
    }
    // Back to the front of the queue, in their order, without spreading a long list into one call.
    const queued = this.queue.splice(0);
    for (const job of again) this.queue.push(job);
    for (const job of queued) this.queue.push(job);
  }

  /** Jobs whose ids are known: journaled, then watched (or killed, if the run was cancelled meanwhile). */
  private async accept(
    jobs: readonly { job: TaskJob; exitFile: string; jobId: string }[],
    system: BatchSystemName,
    settle: (outcome: TaskOutcome) => void,
    how: 'submitted' | 'found',
  ): Promise<void> {
    for (const { jobId } of jobs) this.options.knownJobIds.add(jobId);
    if (jobs.length > 0) this.options.emit({ type: 'job-submitted', system, jobs: jobs.map(({ job, jobId }) => ({ index: job.index, attempt: job.attempt, jobId })), how });
    if (this.stopped) {
      // Cancelled while the submit command ran: do not leave the jobs behind (packed tasks share a job).
      if (jobs.length > 0) await this.options.kill(system, [...new Set(jobs.map((j) => j.jobId))]);
      for (const { job, jobId } of jobs) settle(cancelledOutcome(job.index, jobId));
      return;
    }
    for (const { job, exitFile, jobId } of jobs) {
      this.alone.delete(job.index);
      this.arrayFailures.delete(job.index);
      this.options.watch.add(newTrackedJob(job, system, jobId, exitFile));
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
    const { ctx, emit, knownJobIds } = this.options;
    // A job may still appear after this answer (a request under way): the last look before leaving catches it.
    this.options.sweepNeeded();
    let query = await queryTaggedJobs(system, ctx.tag);
    for (let attempt = 2; query.error !== undefined && attempt <= RESOLVE_ATTEMPTS; attempt++) {
      await sleep(1000 * 2 ** attempt);
      query = await queryTaggedJobs(system, ctx.tag);
    }
    if (query.error !== undefined) {
      emit({ type: 'submit-outcome-unknown', system, error: query.error });
      return undefined;
    }
    const byKey = new Map<string, JobStatus[]>();
    // An array element carries its array's key: the array's keys file names the element's tasks.
    const elementKeys = keysFileReader((arrayKey) => arrayKeysFile(ctx.run, arrayKey));
    const array = plainAdapter(system).array;
    for (const status of query.states.values()) {
      if (status.taskKey === undefined || knownJobIds.has(status.jobId)) continue;
      const element = array?.elementOf(status.jobId);
      const keys = element === undefined ? [] : elementKeys(status.taskKey, element.index);
      for (const key of keys.length > 0 ? keys : [status.taskKey]) byKey.set(key, [...(byKey.get(key) ?? []), status]);
    }
    const found: (T & { jobId: string })[] = [];
    const ran: { index: number; exitStatus: number }[] = [];
    const extra: string[] = [];
    for (const entry of pending) {
      // A live job first: that is the one to watch.
      const jobs = [...(byKey.get(taskKey(entry.job.task.taskId)) ?? [])].sort((a, b) => Number(ACTIVE_STATES.has(b.state)) - Number(ACTIVE_STATES.has(a.state)));
      if (jobs.length === 0) {
        // Its job ran and left the queue before the question: its exit status says how it went.
        const exitStatus = readExitStatusFile(entry.exitFile);
        if (exitStatus !== undefined) ran.push({ index: entry.job.index, exitStatus });
        continue;
      }
      found.push({ ...entry, jobId: jobs[0]!.jobId });
      extra.push(...jobs.slice(1).filter((status) => ACTIVE_STATES.has(status.state)).map((status) => status.jobId));
    }
    if (found.length > 0 || ran.length > 0) emit({ type: 'submit-outcome-resolved', system, found: found.map((f) => f.jobId), ran });
    for (const { index, exitStatus } of ran) {
      settle(exitStatus === 0 ? { index, ok: true } : { index, ok: false, reason: exitReason(exitStatus), message: `the task exited with code ${exitStatus}`, exitCode: exitStatus });
    }
    if (extra.length > 0) {
      emit({ type: 'jobs-cancelled', system, jobIds: extra, why: 'duplicate' });
      await this.options.kill(system, extra);
    }
    return { found, settled: new Set(ran.map((r) => r.index)) };
  }
}
