/**
 * A run's state, folded from its journal: per task the latest attempt,
 * batch job and outcome; for the run, who runs it and whether it ended.
 * Pure: the same entries always give the same state.
 */
import type { JournalEntry, StampedEntry } from './journal.js';
import type { FailureReason } from '../run/failure.js';
import type { AttemptResources, UnmeasuredAttempt } from '../run/resources.js';

export type TaskPhase =
  /** Started locally, or submission under way (intent written, no id yet). */
  | 'running'
  | 'submitting'
  /** In the batch system with a known job id. */
  | 'submitted'
  | 'succeeded'
  /** Failed, and another attempt will follow. */
  | 'retrying'
  | 'failed'
  | 'cancelled'
  | 'not-run';

export interface TaskState {
  readonly id: string;
  family: string;
  params: Readonly<Record<string, unknown>>;
  logDir: string;
  phase: TaskPhase;
  attempt: number;
  system?: string;
  jobId?: string;
  /** While submitting with others in one command: that command's output (relative to the run folder) and this job's place in it. */
  submitGroup?: { readonly output: string; readonly index: number };
  /** When its latest job was submitted (milliseconds since the epoch). */
  submittedAt?: number;
  /** Every job id this task ever had, oldest first. */
  readonly jobIds: string[];
  message?: string;
  /** Why the latest attempt failed, or was cancelled. */
  reason?: FailureReason;
  exitCode?: number;
  /** What each measured attempt used, oldest first (absent until one was measured). */
  resources?: AttemptResources[];
  /** Attempts that ended without a measurement (killed, out of memory, lost): what is known of them, oldest first. */
  unmeasured?: UnmeasuredAttempt[];
  changedAt: number;
}

type RunStarted = Extract<JournalEntry, { type: 'run-started' }>;

export interface RunState {
  readonly started?: RunStarted & { t: number };
  readonly tasks: Map<string, TaskState>;
  finished?: { exitCode: number; t: number; cpuMs?: number };
  killRequested?: { by: number; host: string; t: number };
  lastEntryAt: number;
}

const IN_FLIGHT: ReadonlySet<TaskPhase> = new Set(['running', 'submitting', 'submitted']);
export const isInFlight = (task: TaskState): boolean => IN_FLIGHT.has(task.phase);

export const foldJournal = (entries: readonly StampedEntry[]): RunState => {
  let started: (RunStarted & { t: number }) | undefined;
  const tasks = new Map<string, TaskState>();
  const state: RunState = { tasks, lastEntryAt: 0 };
  const taskFor = (id: string, t: number): TaskState => {
    let task = tasks.get(id);
    if (!task) {
      task = { id, family: id.split('_')[0]!, params: {}, logDir: '', phase: 'running', attempt: 0, jobIds: [], changedAt: t };
      tasks.set(id, task);
    }
    return task;
  };
  for (const entry of entries) {
    state.lastEntryAt = Math.max(state.lastEntryAt, entry.t);
    switch (entry.type) {
      case 'run-started':
        started = entry;
        break;
      case 'task': {
        const task = taskFor(entry.id, entry.t);
        task.family = entry.family;
        task.params = entry.params;
        task.logDir = entry.logDir;
        break;
      }
      case 'started': {
        const task = taskFor(entry.id, entry.t);
        Object.assign(task, { phase: 'running', attempt: entry.attempt, system: entry.system, changedAt: entry.t });
        delete task.jobId;
        delete task.submittedAt;
        delete task.reason;
        break;
      }
      case 'submit-intent': {
        const task = taskFor(entry.id, entry.t);
        Object.assign(task, { phase: 'submitting', attempt: entry.attempt, system: entry.system, changedAt: entry.t });
        if (entry.group) task.submitGroup = entry.group;
        else delete task.submitGroup;
        break;
      }
      case 'submitted': {
        const task = taskFor(entry.id, entry.t);
        Object.assign(task, { phase: 'submitted', attempt: entry.attempt, system: entry.system, jobId: entry.jobId, submittedAt: entry.t, changedAt: entry.t });
        task.jobIds.push(entry.jobId);
        break;
      }
      case 'submit-failed':
        Object.assign(taskFor(entry.id, entry.t), { message: entry.message, changedAt: entry.t });
        break;
      case 'succeeded':
        Object.assign(taskFor(entry.id, entry.t), { phase: 'succeeded', changedAt: entry.t });
        break;
      case 'failed': {
        const task = taskFor(entry.id, entry.t);
        Object.assign(task, { phase: entry.final ? 'failed' : 'retrying', message: entry.message, attempt: entry.attempt, changedAt: entry.t });
        if (entry.exitCode !== undefined) task.exitCode = entry.exitCode;
        if (entry.reason !== undefined) task.reason = entry.reason;
        else delete task.reason;
        break;
      }
      case 'cancelled':
        Object.assign(taskFor(entry.id, entry.t), { phase: 'cancelled', reason: 'cancelled', changedAt: entry.t });
        break;
      case 'not-run':
        for (const id of entry.ids) Object.assign(taskFor(id, entry.t), { phase: 'not-run', changedAt: entry.t });
        break;
      case 'kill-requested':
        state.killRequested = { by: entry.by, host: entry.host, t: entry.t };
        break;
      case 'run-finished':
        state.finished = { exitCode: entry.exitCode, t: entry.t, ...(entry.cpuMs !== undefined ? { cpuMs: entry.cpuMs } : {}) };
        break;
      case 'resources': {
        const task = taskFor(entry.id, entry.t);
        if ('measured' in entry) task.resources = [...(task.resources ?? []).filter((r) => r.attempt !== entry.measured.attempt), entry.measured];
        else task.unmeasured = [...(task.unmeasured ?? []).filter((r) => r.attempt !== entry.unmeasured.attempt), entry.unmeasured];
        break;
      }
      case 'adopted':
        break;
    }
  }
  return started ? { ...state, started } : state;
};

/**
 * Counts per phase, plus tasks not started yet: pending while the run goes
 * on, not run once it is over (as the runner's summary counts them).
 */
export const phaseCounts = (state: RunState): Record<TaskPhase | 'pending', number> => {
  const counts: Record<TaskPhase | 'pending', number> = {
    pending: 0,
    running: 0,
    submitting: 0,
    submitted: 0,
    succeeded: 0,
    retrying: 0,
    failed: 0,
    cancelled: 0,
    'not-run': 0,
  };
  for (const task of state.tasks.values()) counts[task.phase]++;
  const known = state.tasks.size;
  const unstarted = Math.max(0, (state.started?.toRun ?? known) - known);
  if (state.finished) counts['not-run'] += unstarted;
  else counts.pending = unstarted;
  return counts;
};
