/**
 * Re-attaching to a run whose runner died, and the run lock.
 *
 * Running `b2 run` again on the same pipeline adopts the last unfinished run
 * of it whose runner is gone: jobs still queued or running are watched, not
 * resubmitted; a job whose id was not journaled before the crash is found in
 * the output file its submit command wrote; attempts carry over.
 *
 * A live run (or one on another host that may be live) whose planned tasks
 * overlap this run's refuses the new run, naming it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { BATCH_SYSTEM_NAMES, type BatchSystemName } from '../systems/registry.js';
import type { TaskGraph } from '../pipeline/graph.js';
import { readJournal, type JournalEntry } from './journal.js';
import { runnerLiveness, type Liveness } from './liveness.js';
import { readJson, runDirAt, type RunDir } from './run-dir.js';
import { inRunDir, jobFilesIn, plannedFile, submitOutputFile } from '../run/layout.js';
import { readExitStatusFile } from '../wrapper/wrapper.js';
import { newestRunSummaries, summaryState } from './run-index.js';
import { foldJournal, isInFlight, type RunState, type TaskState } from './state.js';
import { sleep } from '../util/sleep.js';
import { readMeasurement } from '../executors/measure.js';
import { attemptRecord } from '../run/resources.js';

export interface AdoptedJob {
  readonly system: BatchSystemName;
  readonly jobId: string;
  /** When the journal says it was submitted. */
  readonly submittedAt?: number;
}

export interface ResumePlan {
  readonly run: RunDir;
  readonly previous: RunState;
  /** Node index -> the job to watch instead of submitting. */
  readonly adopted: Map<number, AdoptedJob>;
  /** Node index -> attempts already used. */
  readonly attempts: Map<number, number>;
  /** Tasks that were running (locally, or with no job to adopt) when the runner died. */
  readonly interrupted: TaskState[];
  /**
   * Node indices of the interrupted tasks whose submit command never named a
   * job: the scheduler may have taken it all the same, so the system is asked
   * for it before the task is submitted again.
   */
  readonly unresolved: Set<number>;
  /** Tasks in flight when the runner died whose outputs are complete now: their jobs finished meanwhile. */
  readonly finishedMeanwhile: { readonly task: TaskState; readonly system?: BatchSystemName; readonly jobId?: string }[];
  /**
   * Tasks in flight when the runner died that this run's graph does not
   * hold (it was started for other tasks): no runner would ever watch them.
   */
  readonly outside: { readonly task: TaskState; readonly system?: BatchSystemName; readonly jobId?: string }[];
}

const BATCH: ReadonlySet<string> = new Set(BATCH_SYSTEM_NAMES);

/** Where the submit command of this task's current attempt wrote its output, and this task's place in it. */
const submitOutputOf = (run: RunDir, task: TaskState): { file: string; index: number } =>
  task.submitGroup
    ? { file: inRunDir(run, task.submitGroup.output), index: task.submitGroup.index }
    : { file: submitOutputFile(run, task.id, task.attempt), index: 0 };

/** The exit status a job's wrapper recorded in the task's log folder (cleared before each submission), if any. */
export const exitStatusIn = (logDir: string): number | undefined => readExitStatusFile(jobFilesIn(logDir).exitStatus);

/**
 * The latest unfinished run of this pipeline whose runner is gone from this
 * host. Runs are told apart by their index; only the one found is read whole.
 */
export const findResumableRun = (stateDir: string, pipelineFile: string): { run: RunDir; state: RunState } | undefined => {
  for (const summary of newestRunSummaries(stateDir)) {
    if (summary.started?.pipeline !== pipelineFile) continue;
    if (summary.finished || runnerLiveness(summaryState(summary)).kind !== 'dead') return undefined;
    const run = runDirAt(stateDir, summary.runId);
    const state = foldJournal(readJournal(run.journal));
    return !state.finished && runnerLiveness(state).kind === 'dead' ? { run, state } : undefined;
  }
  return undefined;
};

/** Every job id in a submit command's output, in order (none when it names none). */
type ParseJobIds = (system: BatchSystemName, stdout: string) => readonly string[];

/** The job id a submit command of the dead runner printed into its output file for this task, if any yet. */
export const orphanedJobId = (run: RunDir, task: TaskState, system: BatchSystemName, parseJobIds: ParseJobIds): string | undefined => {
  const { file, index } = submitOutputOf(run, task);
  return existsSync(file) ? parseJobIds(system, readFileSync(file, 'utf8'))[index] : undefined;
};

/**
 * Submit commands orphaned by the crash may still be running: wait until
 * each one's output names a job, or it is older than the submit timeout (it
 * failed, or never started), so that no job is submitted a second time.
 * `onWait` hears once how many are awaited, if any.
 */
export const settleOrphanedSubmits = async (
  found: { run: RunDir; state: RunState },
  parseJobIds: ParseJobIds,
  submitTimeoutMs: number,
  onWait: (count: number) => void,
): Promise<void> => {
  const pending = [...found.state.tasks.values()].filter((task) => task.phase === 'submitting' && task.system && BATCH.has(task.system));
  for (let told = false; ; told = true) {
    const unsettled = pending.filter((task) => {
      if (orphanedJobId(found.run, task, task.system as BatchSystemName, parseJobIds)) return false;
      const { file } = submitOutputOf(found.run, task);
      const since = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? task.changedAt;
      return Date.now() - since < submitTimeoutMs;
    });
    if (unsettled.length === 0) return;
    if (!told) onWait(unsettled.length);
    await sleep(250);
  }
};

export const planResume = (
  found: { run: RunDir; state: RunState },
  graph: TaskGraph,
  parseJobIds: ParseJobIds,
): ResumePlan => {
  const adopted = new Map<number, AdoptedJob>();
  const attempts = new Map<number, number>();
  const interrupted: TaskState[] = [];
  const unresolved = new Set<number>();
  const finishedMeanwhile: ResumePlan['finishedMeanwhile'][number][] = [];
  const outside: ResumePlan['outside'][number][] = [];
  for (const task of found.state.tasks.values()) {
    const index = graph.byId.get(task.id);
    if (index === undefined) {
      if (isInFlight(task)) outside.push({ task, ...jobOf(found.run, task, parseJobIds) });
      continue;
    }
    const node = graph.nodes[index]!;
    const finishedAttempt = task.phase === 'failed' || task.phase === 'retrying' || task.phase === 'cancelled';
    attempts.set(index, finishedAttempt ? task.attempt : Math.max(0, task.attempt - 1));
    const system = task.system && BATCH.has(task.system) ? (task.system as BatchSystemName) : undefined;
    let jobId = task.phase === 'submitted' ? task.jobId : undefined;
    // The runner died between the submit command and journaling its id.
    if (task.phase === 'submitting' && system) jobId = orphanedJobId(found.run, task, system, parseJobIds);
    const inFlight = task.phase === 'submitted' || task.phase === 'submitting' || task.phase === 'running';
    if (node.initial === 'complete') {
      if (inFlight) finishedMeanwhile.push({ task, ...(system ? { system } : {}), ...(jobId ? { jobId } : {}) });
      continue;
    }
    if (system && jobId && (task.phase === 'submitted' || task.phase === 'submitting')) adopted.set(index, { system, jobId, ...(task.submittedAt === undefined ? {} : { submittedAt: task.submittedAt }) });
    else if (inFlight) {
      interrupted.push(task);
      if (system && task.phase === 'submitting') unresolved.add(index);
    }
  }
  return { run: found.run, previous: found.state, adopted, attempts, interrupted, unresolved, finishedMeanwhile, outside };
};

/** The batch job of a task in flight: journaled, or printed by its submit command after the runner died. */
const jobOf = (run: RunDir, task: TaskState, parseJobIds: ParseJobIds): { system?: BatchSystemName; jobId?: string } => {
  if (!task.system || !BATCH.has(task.system)) return {};
  const system = task.system as BatchSystemName;
  const jobId = task.phase === 'submitting' ? orphanedJobId(run, task, system, parseJobIds) : task.jobId;
  return jobId ? { system, jobId } : { system };
};

/** Journal entries for the tasks whose jobs ended while no runner watched: the ids found since, and the success the outputs show. */
export const finishedMeanwhileEntries = (plan: Pick<ResumePlan, 'finishedMeanwhile'>, now = Date.now()): JournalEntry[] =>
  plan.finishedMeanwhile.flatMap(({ task, system, jobId }): JournalEntry[] => [
    ...(task.phase === 'submitting' && system && jobId ? [{ type: 'submitted' as const, id: task.id, attempt: task.attempt, system, jobId }] : []),
    ...measuredMeanwhile(task, now),
    { type: 'succeeded', id: task.id, attempt: task.attempt },
  ]);

/** What the job of a task that finished while no runner watched measured, when it did. */
const measuredMeanwhile = (task: TaskState, now: number): JournalEntry[] => {
  const measurement = task.logDir ? readMeasurement(jobFilesIn(task.logDir).resources) : undefined;
  if (measurement === undefined) return [];
  const record = attemptRecord(measurement, { attempt: task.attempt, ...(task.submittedAt === undefined ? {} : { submittedAt: task.submittedAt }), judgedAt: now });
  return 'measured' in record ? [{ type: 'resources', id: task.id, ...record }] : [];
};

/**
 * A dead run that a rerun with nothing to do can close: it aimed at the same
 * tasks, those are complete now, and every task it had in flight is known
 * to be complete (its job finished while no runner watched). Its closing
 * entries, or undefined when something of it may still be going on.
 */
export const closingEntries = (
  found: { run: RunDir; state: RunState },
  graph: TaskGraph,
  parseJobIds: ParseJobIds,
): JournalEntry[] | undefined => {
  const roots = found.state.started?.roots ?? [];
  const sameRoots = roots.length === graph.roots.length && graph.roots.every((index) => roots.includes(graph.nodes[index]!.id));
  if (!sameRoots || graph.nodes.some((node) => node.initial !== 'complete')) return undefined;
  // A task of its own not in this graph (below a complete one) may still have a job running.
  const inFlight = [...found.state.tasks.values()].filter(isInFlight);
  if (inFlight.some((task) => !graph.byId.has(task.id))) return undefined;
  const plan = planResume(found, graph, parseJobIds);
  return [...finishedMeanwhileEntries(plan), { type: 'run-finished', exitCode: 0 }];
};

export interface LockConflict {
  readonly runId: string;
  readonly liveness: Liveness;
  readonly startedAt: number;
  readonly overlap: number;
}

/** Live (or possibly live) runs in the state folder that plan any of the same tasks. */
export const findConflicts = (stateDir: string, planned: ReadonlySet<string>, except?: string): LockConflict[] => {
  const conflicts: LockConflict[] = [];
  for (const summary of newestRunSummaries(stateDir)) {
    if (summary.runId === except) continue;
    const run = runDirAt(stateDir, summary.runId);
    const liveness = runnerLiveness(summaryState(summary));
    if (liveness.kind !== 'alive' && liveness.kind !== 'elsewhere') continue;
    let theirs: string[] = [];
    try {
      theirs = readJson<string[]>(plannedFile(run));
    } catch {
      // A run that has not written its plan yet overlaps until proven otherwise.
      theirs = [...planned];
    }
    const overlap = theirs.filter((id) => planned.has(id)).length;
    if (overlap > 0) conflicts.push({ runId: summary.runId, liveness, startedAt: summary.started?.t ?? 0, overlap });
  }
  // Oldest first, as the runs started.
  return conflicts.reverse();
};

export const conflictError = (conflict: LockConflict): UserError => {
  const l = conflict.liveness;
  const who = l.kind === 'alive' || l.kind === 'elsewhere' ? `pid ${l.pid} on ${l.host}` : 'unknown';
  const started = new Date(conflict.startedAt).toISOString().replace('T', ' ').slice(0, 19);
  return new UserError(
    'run-locked',
    `Run ${conflict.runId} (${who}, started ${started}) is working on ${conflict.overlap} of the same tasks.`,
    {
      hint:
        l.kind === 'elsewhere'
          ? `It runs on another host, so b2 cannot tell whether it is alive. Stop it with b2 kill ${conflict.runId} (from any host), wait with --wait, or, if you are sure it is dead, pass --ignore-lock.`
          : `Wait for it with --wait, or stop it with b2 kill ${conflict.runId}.`,
    },
  );
};

export { withStateDirLock } from './lock.js';
