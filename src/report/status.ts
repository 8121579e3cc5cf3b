/** `b2 status` text and JSON, from a run's folded journal. */
import chalk from 'chalk';
import path from 'node:path';
import type { JobStatus } from '../systems/contract.js';
import type { Liveness } from '../journal/liveness.js';
import { isInFlight, phaseCounts, type RunState, type TaskState } from '../journal/state.js';
import { lastLines } from '../util/tail.js';
import { jobFilesIn } from '../run/layout.js';
import { familyTable } from './family-table.js';
import { timesJson } from './resources-json.js';
import { familyUsage, usageTable } from './resources.js';
import type { WorkerMeasurement } from '../run/resources.js';
import { totalCalls } from '../batch/scheduler-calls.js';
import { formatSchedulerCalls } from './scheduler-calls.js';

export interface StatusView {
  readonly runId: string;
  readonly state: RunState;
  readonly liveness: Liveness;
  /** From --refresh: what the batch systems say now, by job id. */
  readonly refreshed?: ReadonlyMap<string, JobStatus>;
  readonly refreshErrors?: readonly string[];
  /** From --refresh: what the workers of tasks in flight wrote so far (start, node), by task id. */
  readonly measuredNow?: ReadonlyMap<string, WorkerMeasurement>;
}

const time = (t: number): string => new Date(t).toISOString().replace('T', ' ').slice(0, 19);

const describeRunner = (view: StatusView): string => {
  const l = view.liveness;
  switch (l.kind) {
    case 'finished':
      return l.exitCode === 0 ? chalk.green(`finished at ${time(l.at)}`) : chalk.red(`finished at ${time(l.at)} with exit code ${l.exitCode}`);
    case 'alive':
      return chalk.green(`running (pid ${l.pid} on ${l.host})`);
    case 'dead':
      return chalk.red(`runner died: pid ${l.pid} on ${l.host} is gone; last journal entry at ${time(l.lastEntryAt)}`);
    case 'elsewhere':
      return chalk.yellow(`runner on another host (pid ${l.pid} on ${l.host}): cannot check it from here`);
  }
};

const taskName = (task: TaskState): string => {
  const params = Object.entries(task.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${task.family}(${params.join(', ')})`;
};

export const formatStatus = (view: StatusView): string => {
  const { state } = view;
  const started = state.started;
  const lines: string[] = [];
  lines.push(chalk.bold(`run ${view.runId}`));
  if (started) {
    lines.push(`  pipeline: ${started.pipeline}`, `  mode:     ${started.mode}, started ${time(started.t)} by pid ${started.pid} on ${started.host}`);
  }
  lines.push(`  runner:   ${describeRunner(view)}`);
  const counts = phaseCounts(state);
  const total = (started?.total ?? state.tasks.size) + (state.addedToRun ?? 0);
  const inFlight = counts.running + counts.submitting + counts.submitted;
  lines.push(
    `  tasks:    ${total} in graph, ${started ? started.total - started.toRun : 0} complete before; ` +
      `${counts.succeeded} succeeded, ${inFlight} in flight, ${counts.waiting ? `${counts.waiting} waiting for dependencies, ` : ''}${counts.pending} pending, ` +
      `${counts.failed} failed, ${counts.retrying} retrying, ${counts['not-run']} not run, ${counts.cancelled} cancelled`,
  );
  const calls = state.finished?.schedulerCalls === undefined ? undefined : formatSchedulerCalls(state.finished.schedulerCalls, started?.toRun ?? 0);
  if (calls !== undefined) lines.push(`  ${calls}`);

  const families = new Map<string, Record<string, number>>();
  for (const task of state.tasks.values()) {
    const row = families.get(task.family) ?? {};
    row[task.phase] = (row[task.phase] ?? 0) + 1;
    families.set(task.family, row);
  }
  if (families.size > 0) {
    const columns = ['succeeded', 'running', 'submitted', ...(counts.waiting ? ['waiting'] : []), 'failed', 'retrying', 'not-run', 'cancelled'];
    const header = ['task', ...columns];
    const rows = [...families].map(([family, row]) => [family, ...columns.map((c) => String(row[c] ?? 0))]);
    lines.push('', ...familyTable(header, rows, '  '));
  }

  const usage = usageTable(familyUsage(state.tasks.values()));
  if (usage.rows.length > 0) {
    lines.push('', chalk.bold('resources (measured attempts; b2 status --suggest proposes memory and walltime):'), ...familyTable(usage.header, usage.rows, '  '));
    for (const flag of usage.flags) lines.push(chalk.yellow(`  ! ${flag}`));
  }

  const orphaned = view.liveness.kind === 'dead';
  const flying = [...state.tasks.values()].filter(isInFlight);
  if (flying.length > 0) {
    lines.push('', chalk.bold(orphaned ? 'orphaned jobs (their runner is gone):' : 'in flight:'));
    for (const task of flying.slice(0, 50)) {
      const job = task.jobId ? `${task.system} job ${task.jobId}` : task.system === 'local' || task.system === 'test' ? 'local' : `${task.system ?? ''} submitting`;
      const now = task.jobId ? view.refreshed?.get(task.jobId) : undefined;
      const queue = now ? `  [${now.state}: ${now.native}${now.reason ? `, ${now.reason}` : ''}]` : '';
      const worker = view.measuredNow?.get(task.id);
      const where = worker ? `  on ${worker.host} since ${time(worker.startedAt)}` : '';
      lines.push(`  ${taskName(task)}  ${job}  attempt ${task.attempt}${queue}${where}`);
    }
    if (flying.length > 50) lines.push(`  ... and ${flying.length - 50} more`);
    if (orphaned && !view.refreshed) lines.push(chalk.dim('  (b2 status --refresh asks the batch system for their real state; b2 kill cancels them)'));
  }
  const waiting = [...state.tasks.values()].filter((task) => task.phase === 'waiting');
  if (waiting.length > 0) {
    lines.push('', chalk.bold('waiting for tasks they asked for while running:'));
    for (const task of waiting.slice(0, 50)) {
      const n = task.waitingFor ?? 0;
      lines.push(`  ${taskName(task)}  waiting for ${n} ${n === 1 ? 'dependency' : 'dependencies'}  attempt ${task.attempt}`);
    }
    if (waiting.length > 50) lines.push(`  ... and ${waiting.length - 50} more`);
  }
  for (const error of view.refreshErrors ?? []) lines.push(chalk.yellow(`  could not ask the batch system: ${error}`));

  const failed = [...state.tasks.values()].filter((task) => task.phase === 'failed');
  for (const task of failed.slice(0, 20)) {
    lines.push('', chalk.red(`failed${task.attempt > 1 ? ` after ${task.attempt} attempts` : ''}: ${taskName(task)}`));
    if (task.jobId) lines.push(`  job id:  ${task.system} ${task.jobId}`);
    if (task.message) lines.push(`  error:   ${task.message}`);
    if (task.logDir) {
      const stderr = jobFilesIn(task.logDir).stderr;
      lines.push(`  logs:    ${task.logDir}`);
      for (const line of lastLines(stderr, 5)) lines.push(chalk.dim(`    | ${line}`));
    }
  }
  if (failed.length > 20) lines.push(`... and ${failed.length - 20} more failed tasks`);
  return lines.join('\n');
};

export const statusJson = (view: StatusView): unknown => ({
  runId: view.runId,
  runner: view.liveness,
  pipeline: view.state.started?.pipeline,
  mode: view.state.started?.mode,
  startedAt: view.state.started ? new Date(view.state.started.t).toISOString() : undefined,
  total: view.state.started ? view.state.started.total + (view.state.addedToRun ?? 0) : undefined,
  toRun: view.state.started ? view.state.started.toRun + (view.state.addedToRun ?? 0) : undefined,
  counts: phaseCounts(view.state),
  runnerCpuMs: view.state.finished?.cpuMs,
  families: familyUsage(view.state.tasks.values()),
  schedulerCalls: schedulerCallsJson(view.state.finished?.schedulerCalls, view.state.started?.toRun),
  tasks: [...view.state.tasks.values()].map((task) => ({
    id: task.id,
    family: task.family,
    params: task.params,
    phase: task.phase,
    attempt: task.attempt,
    system: task.system,
    jobId: task.jobId,
    jobIds: task.jobIds,
    message: task.message,
    reason: task.reason,
    exitCode: task.exitCode,
    logDir: task.logDir,
    ...timesJson(task),
    ...(task.waitingFor === undefined ? {} : { waitingFor: task.waitingFor }),
    ...(task.requested ? { requested: task.requested.map((ref) => ref.id) } : {}),
    ...(task.jobId && view.refreshed?.get(task.jobId) ? { queue: view.refreshed.get(task.jobId) } : {}),
    ...(view.measuredNow?.get(task.id) ? { worker: view.measuredNow.get(task.id) } : {}),
  })),
});

/** The runner's batch commands per name, their total and the calls per task; undefined before the run finished. */
const schedulerCallsJson = (calls: Readonly<Record<string, number>> | undefined, tasks: number | undefined): unknown => {
  if (calls === undefined) return undefined;
  const total = totalCalls(calls);
  return { byCommand: calls, total, ...(tasks ? { perTask: total / tasks } : {}) };
};
