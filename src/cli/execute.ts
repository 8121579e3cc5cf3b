/**
 * Executing a run: the run lock, re-attaching to a run whose runner died,
 * the journal, the executor, progress and the final summary.
 */
import os from 'node:os';
import chalk from 'chalk';
import type { BatchSystemName } from '../systems/registry.js';
import { parseSubmittedJobIds } from '../batch/client.js';
import { BatchExecutor } from '../batch/executor.js';
import { closeTasksOutsideGraph } from '../batch/takeover.js';
import { schedulerCalls } from '../batch/run-command.js';
import { totalCalls } from '../batch/scheduler-calls.js';
import { formatSchedulerCalls } from '../report/scheduler-calls.js';
import type { Executor } from '../executors/executor.js';
import { InProcessExecutor } from '../executors/in-process.js';
import { PoolExecutor } from '../executors/pool.js';
import { ContainerExecutor, preflightLocalContainers } from '../batch/container-executor.js';
import { JournalWriter } from '../journal/journal.js';
import { journalRecorder } from '../journal/recorder.js';
import {
  closingEntries,
  conflictError,
  findConflicts,
  findResumableRun,
  finishedMeanwhileEntries,
  planResume,
  settleOrphanedSubmits,
  withStateDirLock,
  type LockConflict,
  type ResumePlan,
} from '../journal/resume.js';
import { pruneFinishedRuns } from '../journal/run-index.js';
import { createRunDir, writeFileAtomic, type RunDir } from '../journal/run-dir.js';
import { familyGraphFile, plannedFile } from '../run/layout.js';
import { familyGraphOf } from '../views/view-graph.js';
import { usableStateDir } from '../journal/state-dir.js';
import { resolveFromPipeline } from '../pipeline/context.js';
import { buildGraph, type TaskGraph } from '../pipeline/graph.js';
import { checkFolderSettings } from '../pipeline/paths.js';
import type { LoadedPipeline } from '../pipeline/load.js';
import { exportedClassCheck } from '../pipeline/reconstruct.js';
import { regrowFromJournal, requestedTaskResolver } from '../pipeline/dynamic-resolve.js';
import type { Task } from '../pipeline/task.js';
import { jobsLeftBehind } from '../report/left-behind.js';
import { jobEventText } from '../report/job-events.js';
import { formatSummary, nothingToDoMessage, progressIntervalSeconds, ProgressReporter } from '../report/progress.js';
import type { RunEvent } from '../scheduler/events.js';
import { drive } from '../scheduler/driver.js';
import { explainSetting, exportSettingsSnapshot, getSetting } from '../settings/index.js';
import { installInterruptHandler } from './interrupt.js';
import { EXIT } from './options.js';
import { noColorWanted } from '../util/color.js';
import { sleep } from '../util/sleep.js';

export interface ExecuteOptions {
  readonly pipeline: LoadedPipeline;
  readonly roots: readonly Task[];
  readonly workers: number;
  readonly mode: 'local' | 'batch' | 'test';
  readonly wait: boolean;
  readonly ignoreLock: boolean;
  readonly liveProgress: boolean;
}

const LOCK_POLL_MS = 2000;


const plannedIds = (graph: TaskGraph): Set<string> =>
  new Set(graph.nodes.filter((node) => node.initial !== 'complete').map((node) => node.id));

interface Registered {
  readonly graph: TaskGraph;
  readonly run: RunDir;
  readonly resume?: ResumePlan;
}

/**
 * Submit commands that a dead runner of this pipeline left running must end
 * before its run is taken over, so that none of their jobs goes out twice.
 * Outside the lock: this may take up to submit_timeout after a crash.
 */
const settleDeadRunSubmits = async (stateDir: string, pipelineFile: string): Promise<void> => {
  const dead = findResumableRun(stateDir, pipelineFile);
  if (!dead) return;
  const timeout = getSetting<number>('submit_timeout');
  await settleOrphanedSubmits(dead, parseSubmittedJobIds, timeout * 1000, (count) =>
    process.stderr.write(`waiting up to ${timeout} s for ${count} submit command(s) the dead runner of run ${dead.run.runId} left running, so that their jobs are not submitted twice\n`),
  );
};

type Registration = { readonly registered: Registered } | { readonly conflict: LockConflict } | { readonly complete: TaskGraph };

/**
 * Under the state folder's lock, decide what to run and claim it: what is
 * complete, whether a live run works on the same tasks, and whether to take
 * over a dead run or start a new one. A run that claims tasks after this
 * one finds this one's plan; one that finished before has left its outputs,
 * which this check sees: two racing runs never both run a task.
 */
const claim = (options: ExecuteOptions, stateDir: string): Registration => {
  const graph = buildGraph(options.roots, { pruneComplete: true });
  const dead = findResumableRun(stateDir, options.pipeline.file);
  // Tasks a dead runner's tasks asked for while running come before them again.
  if (dead) regrowFromJournal(graph, dead.state, requestedTaskResolver(options.pipeline.module));
  const planned = plannedIds(graph);
  if (planned.size === 0) {
    closeFinishedDeadRun(stateDir, options.pipeline.file, graph);
    return { complete: graph };
  }
  const conflicts = findConflicts(stateDir, planned).filter((c) => !(options.ignoreLock && c.liveness.kind === 'elsewhere'));
  if (conflicts.length > 0) return { conflict: conflicts[0]! };
  const resume = dead ? planResume(dead, graph, parseSubmittedJobIds) : undefined;
  const run = resume?.run ?? createRunDir(stateDir);
  writeFileAtomic(plannedFile(run), JSON.stringify([...planned]));
  writeFileAtomic(familyGraphFile(run), JSON.stringify(familyGraphOf(graph)));
  return { registered: { graph, run, ...(resume ? { resume } : {}) } };
};

/** Claim this run's tasks (waiting for a conflicting run with --wait), then make room by pruning old finished runs. */
const register = async (options: ExecuteOptions, stateDir: string): Promise<Registered | undefined> => {
  const onWait = (message: string): void => void process.stderr.write(`${chalk.yellow('waiting:')} ${message}\n`);
  for (let announced = false; ; ) {
    await settleDeadRunSubmits(stateDir, options.pipeline.file);
    const outcome = await withStateDirLock(stateDir, () => claim(options, stateDir), { onWait });
    if ('complete' in outcome) {
      process.stdout.write(`${nothingToDoMessage(buildGraph(options.roots, { pruneComplete: false }))}\n`);
      return undefined;
    }
    if ('registered' in outcome) {
      pruneFinishedRuns(stateDir, getSetting<number>('keep_runs'));
      return outcome.registered;
    }
    if (!options.wait) throw conflictError(outcome.conflict);
    if (!announced) {
      onWait(conflictError(outcome.conflict).message);
      announced = true;
    }
    await sleep(LOCK_POLL_MS);
  }
};

/**
 * Nothing left to do, but a dead run of this pipeline may have aimed at the
 * same tasks: its last jobs finished while no runner watched. Record that,
 * so that `b2 status` shows it finished rather than dead. Under the lock.
 */
const closeFinishedDeadRun = (stateDir: string, pipelineFile: string, graph: TaskGraph): void => {
  const found = findResumableRun(stateDir, pipelineFile);
  const entries = found && closingEntries(found, graph, parseSubmittedJobIds);
  if (!found || !entries) return;
  const journal = new JournalWriter(found.run.journal);
  entries.forEach((entry, index) => journal.append(entry, index === entries.length - 1));
  journal.close();
  process.stderr.write(`run ${found.run.runId}, whose runner died, is complete: its last jobs finished while no runner watched.\n`);
};

/** Node -> starts an earlier runner made that were restarts for dynamic dependencies (they do not count against retries). */
const restartsOf = (resume: ResumePlan, graph: TaskGraph): Map<number, number> => {
  const restarts = new Map<number, number>();
  for (const task of resume.previous.tasks.values()) {
    const index = graph.byId.get(task.id);
    if (index !== undefined && task.restarts) restarts.set(index, task.restarts);
  }
  return restarts;
};

export const executeRun = async (options: ExecuteOptions): Promise<number> => {
  const { pipeline, roots, mode } = options;
  // Elapsed and wall time count from b2's start: loading the pipeline is part of the run.
  const startedAt = performance.timeOrigin;
  const pipelineLoadedAt = Date.now();
  const intervalSeconds = progressIntervalSeconds(process.env);
  const stateDirSetting = explainSetting('state_dir');
  const stateDir = usableStateDir(resolveFromPipeline(String(stateDirSetting.value)), { value: String(stateDirSetting.value), source: stateDirSetting.source });
  checkFolderSettings(mode === 'test' ? ['result_dir'] : mode === 'local' ? ['result_dir', 'log_dir'] : ['result_dir', 'log_dir', 'task_file_dir']);
  const registered = await register(options, stateDir);
  if (!registered) return EXIT.ok;
  const { graph, run, resume } = registered;
  const graphMs = Date.now() - pipelineLoadedAt;
  const toRun = graph.nodes.filter((node) => node.initial !== 'complete').length;
  const journal = new JournalWriter(run.journal);
  // Re-attaching keeps the run id and its tag: the batch systems know the jobs by it.
  const tag = resume?.previous.started?.tag ?? `b2_${run.runId.slice(-6)}`;
  journal.append(
    { type: 'run-started', runId: run.runId, pid: process.pid, host: os.hostname(), pipeline: pipeline.file, roots: roots.map((t) => t.taskId), mode, tag, total: graph.nodes.length, toRun },
    true,
  );
  // The run's one event stream: the journal first, so that an entry is on disk before anyone reads of it.
  const record = journalRecorder(graph, journal, mode === 'batch' ? 'batch' : mode);
  const reporters: ((event: RunEvent) => void)[] = [];
  const emit = (event: RunEvent): void => {
    record(event);
    for (const report of reporters) report(event);
  };
  if (resume) {
    const previous = resume.previous.started;
    process.stderr.write(
      `${chalk.yellow('resuming')} run ${run.runId}: its runner (pid ${previous?.pid} on ${previous?.host}) died. ` +
        `${resume.adopted.size} job(s) still belong to it and are watched, not resubmitted.\n`,
    );
    if (resume.interrupted.length > 0) {
      const names = resume.interrupted.slice(0, 5).map((t) => t.id).join(', ');
      process.stderr.write(`  interrupted and started again: ${names}${resume.interrupted.length > 5 ? ` and ${resume.interrupted.length - 5} more` : ''}\n`);
    }
    for (const entry of finishedMeanwhileEntries(resume)) journal.append(entry);
    const outside = await closeTasksOutsideGraph(resume);
    if (outside) {
      emit(outside);
      process.stderr.write(`  ${jobEventText(outside, (index) => graph.nodes[index]!.task.toString())}\n`);
    }
    journal.append({ type: 'adopted', fromRun: run.runId, jobs: resume.adopted.size }, true);
  }

  let executor: Executor;
  if (mode === 'test') {
    executor = new InProcessExecutor();
  } else if (mode === 'batch') {
    const batch = new BatchExecutor({
      graph,
      pipeline,
      workers: options.workers,
      run,
      tag,
      emit,
      ...(resume
        ? {
            adopted: resume.adopted,
            unresolved: resume.unresolved,
            journaledJobIds: [...resume.previous.tasks.values()].flatMap((task) => task.jobIds),
            previousTasks: resume.previous.tasks.values(),
          }
        : {}),
    });
    try {
      batch.checkSettings();
    } catch (error) {
      // Nothing was submitted: a new run ends here as bad input. A resumed one keeps
      // the jobs it adopted, and stays open for the next rerun or b2 kill.
      if (!resume) journal.append({ type: 'run-finished', exitCode: EXIT.usage }, true);
      journal.close();
      throw error;
    }
    executor = batch;
  } else {
    const ctx = { pipeline, run, tag };
    try {
      preflightLocalContainers(ctx, graph);
    } catch (error) {
      journal.append({ type: 'run-finished', exitCode: EXIT.usage }, true);
      journal.close();
      throw error;
    }
    const pool = new PoolExecutor({
      size: Math.min(options.workers, toRun),
      bundle: pipeline.bundle,
      file: pipeline.file,
      settings: exportSettingsSnapshot(),
    });
    // Tasks with apptainer_image run as their own process in the container; the rest in the pool.
    executor = new ContainerExecutor(pool, ctx);
  }

  const reporter = new ProgressReporter(graph, {
    out: process.stderr,
    // --test tasks write to the terminal themselves: one line fits around them, the rows do not.
    display: !options.liveProgress ? 'lines' : noColorWanted() || mode === 'test' ? 'line' : 'rows',
    intervalSeconds,
    executorName: mode === 'batch' ? 'batch' : executor.name,
    startedAt,
    phases: {
      pipelineMs: pipelineLoadedAt - startedAt,
      graphMs,
      tasks: graph.nodes.length,
      families: new Set(graph.nodes.map((node) => node.family)).size,
      complete: graph.nodes.length - toRun,
      toRun,
    },
  });
  reporters.push(reporter.event);
  const abort = new AbortController();
  const uninstall = installInterruptHandler(abort, () => {
    reporter.abandon();
    if (!(executor instanceof BatchExecutor)) return 'local task processes were stopped with the runner.';
    const { jobs, beingSubmitted } = executor.inFlight();
    return jobsLeftBehind(run.runId, jobs, beingSubmitted);
  });
  let result;
  try {
    result = await drive(graph, executor, {
      retries: (index) => getSetting<number>('retries', { task: graph.nodes[index]!.task }),
      signal: abort.signal,
      emit,
      canStartAt: exportedClassCheck(pipeline.module),
      resolveRequested: requestedTaskResolver(pipeline.module),
      ...(resume ? { previousAttempts: resume.attempts, previousRestarts: restartsOf(resume, graph) } : {}),
    });
  } finally {
    await reporter.stop();
    uninstall();
  }
  // A task that asked while running for tasks that cannot be made (a cycle, a class not exported) is bad input.
  const exitCode = result.cancelled ? EXIT.interrupted : result.badInput ? EXIT.usage : result.schedule.anyFailed ? EXIT.failed : EXIT.ok;
  const { user, system } = process.cpuUsage();
  const calls = schedulerCalls();
  const callCount = totalCalls(calls);
  journal.append({ type: 'run-finished', exitCode, cpuMs: Math.round((user + system) / 1000), ...(callCount > 0 ? { schedulerCalls: calls } : {}) }, true);
  journal.close();
  process.stdout.write(`${formatSummary(graph, result.schedule, result.failures, Date.now() - startedAt)}\n`);
  const callsLine = formatSchedulerCalls(calls, toRun);
  if (callsLine !== undefined) process.stdout.write(`${callsLine}\n`);
  return exitCode;
};
