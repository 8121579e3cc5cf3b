/**
 * `b2 status [RUN]` and `b2 kill [RUN]`: from another terminal, on a run
 * that is live, finished or whose runner died. Both read the run's journal
 * only; neither interferes with a live runner beyond what it asks for.
 */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import chalk from 'chalk';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import type { JobStatus } from '../../systems/contract.js';
import { BATCH_SYSTEM_NAMES, type BatchSystemName } from '../../systems/registry.js';
import { ACTIVE_STATES, cancelJobs, cancelUnknownJobs, parseSubmittedJobIds, queryJobStates } from '../../batch/client.js';
import { JournalWriter, readJournal } from '../../journal/journal.js';
import { isRunnerProcess, runnerLiveness } from '../../journal/liveness.js';
import { exitStatusIn, orphanedJobId, settleOrphanedSubmits } from '../../journal/resume.js';
import { listRunIds, listRunIdsOf, runDirAt, type RunDir } from '../../journal/run-dir.js';
import { readableStateDir } from '../../journal/state-dir.js';
import { foldJournal, isInFlight, type RunState } from '../../journal/state.js';
import { formatStatus, statusJson, type StatusView } from '../../report/status.js';
import { statusExitCode } from '../../report/status-code.js';
import { getSetting, initSettings } from '../../settings/index.js';
import { EXIT, commonOptions } from '../options.js';
import { noColorWanted } from '../../util/color.js';
import { printSettingsWarnings, settingFlags, type CommonFlags } from '../prepare.js';
import { sleep } from '../../util/sleep.js';
import { servePort, serveRun, type ServeFlags } from './serve.js';
import { formatSuggestions, suggest } from '../../report/suggest.js';
import { readMeasurement } from '../../executors/measure.js';
import { jobFilesIn } from '../../run/layout.js';
import type { WorkerMeasurement } from '../../run/resources.js';

export interface LocateFlags extends CommonFlags {
  readonly pipeline?: string;
  readonly stateDir?: string;
}

const BATCH_SYSTEMS: ReadonlySet<string> = new Set(BATCH_SYSTEM_NAMES);

/** What `-p` names: a pipeline file (its runs only), or a folder (every run found from there). */
type PipelineSelection = { readonly file: string; readonly dir: string } | { readonly file?: undefined; readonly dir: string };

export const selectPipeline = (given: string | undefined): PipelineSelection => {
  if (given === undefined) return { dir: process.cwd() };
  const absolute = path.resolve(given);
  const stats = statSync(absolute, { throwIfNoEntry: false });
  if (!stats) {
    throw new UserError('pipeline-not-found', `No pipeline file or folder ${absolute}.`, {
      hint: 'Give -p the pipeline file whose runs you mean (as given to b2 run), or its folder for all runs there.',
    });
  }
  return stats.isDirectory() ? { dir: absolute } : { file: absolute, dir: path.dirname(absolute) };
};

/** Run ids to choose from: every run in the state folder, or those of the selected pipeline file. */
export const selectableRuns = (stateDir: string, selection: PipelineSelection): string[] => {
  if (selection.file === undefined) return listRunIds(stateDir);
  const runs = listRunIdsOf(stateDir, selection.file);
  if (runs.length === 0) {
    throw new UserError('no-runs', `No run of ${selection.file} in ${stateDir}.`, {
      hint: 'b2 status --list shows every run there and its pipeline file.',
    });
  }
  return runs;
};

/** The state folder: --state-dir, else the setting next to the pipeline (or here), else the nearest .b2/runs above. */
export const locateStateDir = async (options: LocateFlags, selection: PipelineSelection): Promise<string> =>
  readableStateDir(await findStateDir(options, selection));

const findStateDir = async (options: LocateFlags, selection: PipelineSelection): Promise<string> => {
  if (options.stateDir) return path.resolve(options.stateDir);
  const base = selection.dir;
  await initSettings({ cwd: process.cwd(), env: process.env, flags: settingFlags(options), pipelineDir: base });
  printSettingsWarnings();
  const configured = path.resolve(base, getSetting<string>('state_dir'));
  if (existsSync(configured) || options.pipeline) return configured;
  for (let dir = base; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.b2', 'runs');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return configured;
  }
};

export const pickRun = (stateDir: string, runId: string | undefined, runs: readonly string[]): string => {
  if (runs.length === 0) {
    throw new UserError('no-runs', `No runs found in ${stateDir}.`, {
      hint: 'Run b2 status from the pipeline folder, or give --pipeline FILE or --state-dir DIR.',
    });
  }
  if (runId === undefined || runId === 'latest') return runs[runs.length - 1]!;
  const matches = runs.filter((id) => id === runId || id.startsWith(runId) || id.endsWith(runId));
  if (matches.length === 1) return matches[0]!;
  throw new UserError('unknown-run', matches.length ? `Run "${runId}" is ambiguous: ${matches.join(', ')}.` : `No run "${runId}" in ${stateDir}.`, {
    hint: 'b2 status --list shows the runs.',
  });
};

export const loadRun = (stateDir: string, runId: string): RunState => foldJournal(readJournal(runDirAt(stateDir, runId).journal));

/** In-flight batch jobs by system. */
/**
 * The job of every task in flight. A task still "submitting" may have a job
 * whose id only its submit command's output holds (its runner died before
 * journaling it): that one counts too, so that b2 kill leaves nothing behind.
 */
const jobsBySystem = (run: RunDir, state: RunState): Map<BatchSystemName, string[]> => {
  const bySystem = new Map<BatchSystemName, string[]>();
  for (const task of state.tasks.values()) {
    if (!isInFlight(task) || !task.system || !BATCH_SYSTEMS.has(task.system)) continue;
    const system = task.system as BatchSystemName;
    const jobId = task.phase === 'submitting' ? orphanedJobId(run, task, system, parseSubmittedJobIds) : task.jobId;
    if (jobId) bySystem.set(system, [...(bySystem.get(system) ?? []), jobId]);
  }
  return bySystem;
};

const refresh = async (run: RunDir, state: RunState): Promise<{ states: Map<string, JobStatus>; errors: string[] }> => {
  const states = new Map<string, JobStatus>();
  const errors: string[] = [];
  for (const [system, ids] of jobsBySystem(run, state)) {
    const query = await queryJobStates(system, ids, state.started?.tag ?? '');
    if (query.error) errors.push(`${system}: ${query.error}`);
    for (const [id, status] of query.states) states.set(id, status);
  }
  return { states, errors };
};

/** What the workers of tasks in flight have written so far: where and since when they run. */
const measuredNow = (state: RunState): Map<string, WorkerMeasurement> => {
  const found = new Map<string, WorkerMeasurement>();
  for (const task of state.tasks.values()) {
    if (!isInFlight(task) || !task.logDir) continue;
    const measurement = readMeasurement(jobFilesIn(task.logDir).resources);
    // One left by an earlier attempt says nothing of this one.
    if (measurement && (task.submittedAt === undefined || measurement.startedAt >= task.submittedAt - 60_000)) found.set(task.id, measurement);
  }
  return found;
};

/** Jobs carrying the run's tag in the systems it used that the journal does not name: cancelled. */
const cancelUnknown = async (state: RunState, inFlight: ReadonlyMap<BatchSystemName, string[]>): Promise<{ cancelled: number; failed: boolean }> => {
  const tag = state.started?.tag;
  if (!tag) return { cancelled: 0, failed: false };
  const known = new Set([...state.tasks.values()].flatMap((task) => task.jobIds));
  for (const ids of inFlight.values()) for (const jobId of ids) known.add(jobId);
  const systems = new Set([...state.tasks.values()].flatMap((task) => (task.system && BATCH_SYSTEMS.has(task.system) ? [task.system as BatchSystemName] : [])));
  let cancelled = 0;
  let failed = false;
  for (const system of systems) {
    const swept = await cancelUnknownJobs(system, tag, known);
    if ('error' in swept) {
      failed = true;
      process.stderr.write(chalk.red(`could not ask ${system} for jobs of the run that no journal entry names:\n${swept.error}\n`));
    } else if (swept.cancelled.length > 0) {
      process.stdout.write(`cancelling ${swept.cancelled.length} ${system} job(s) that no journal entry names: ${swept.cancelled.join(' ')}\n`);
      cancelled += swept.cancelled.length;
    }
  }
  return { cancelled, failed };
};

/**
 * The end of a run whose runner is dead, as its runner would have written
 * it: every task in flight cancelled (or succeeded, when its job recorded
 * exit status 0 meanwhile), and the run finished as interrupted. `b2 status`
 * then shows no job in flight, a second kill has nothing to cancel, and the
 * next `b2 run` starts afresh, submitting what is not complete.
 */
const recordKilled = (run: RunDir, state: RunState): void => {
  if (state.finished) return;
  const journal = new JournalWriter(run.journal);
  for (const task of state.tasks.values()) {
    if (!isInFlight(task)) continue;
    const ended = task.logDir ? exitStatusIn(task.logDir) : undefined;
    if (ended === 0 && task.jobId) journal.append({ type: 'succeeded', id: task.id, attempt: task.attempt });
    else journal.append({ type: 'cancelled', id: task.id, attempt: task.attempt, ...(task.jobId ? { jobId: task.jobId } : {}) });
  }
  journal.append({ type: 'run-finished', exitCode: EXIT.interrupted }, true);
  journal.close();
};


export const registerStatusCommands = (program: Command): void => {
  const status = program
    .command('status')
    .description('show a run: counts, jobs in flight, failures (the latest run by default)')
    .argument('[run]', 'run id (or a unique part of it); default: the latest')
    .option('--list', 'list the runs')
    .option('--json', 'machine-readable output')
    .option('--watch [seconds]', 'redraw every few seconds until the run ends')
    .option('--refresh', 'ask the batch systems for the real state of in-flight jobs')
    .option('--suggest', 'propose memory and walltime per task family from what its tasks used')
    .option('-p, --pipeline <file>', 'the pipeline file whose runs to show, or a folder for all runs there (default: the runs found from here)')
    .option('--state-dir <dir>', 'the runs folder (setting state_dir)')
    .option('--serve', 'show the run as a live web page on this host (b2 report\'s page, updating as the run goes on)')
    .option('--port <n>', 'with --serve: the port (default: a free one)', servePort)
    .option('--host <address>', 'with --serve: the address to listen on', '127.0.0.1')
    .option('--allow-kill', 'with --serve: the page gets a button that does what b2 kill does')
    .action(async (runId: string | undefined, options: LocateFlags & ServeFlags & { list?: boolean; json?: boolean; watch?: string | boolean; refresh?: boolean; suggest?: boolean }) => {
      const selection = selectPipeline(options.pipeline);
      const stateDir = await locateStateDir(options, selection);
      const selectable = selectableRuns(stateDir, selection);
      if (options.serve) {
        const newest = runId === undefined || runId === 'latest' ? () => pickRun(stateDir, undefined, selectableRuns(stateDir, selection)) : undefined;
        process.exitCode = await serveRun(stateDir, pickRun(stateDir, runId, selectable), options, newest);
        return;
      }
      if (options.list) {
        const runs = selectable.map((id) => {
          const state = loadRun(stateDir, id);
          return { runId: id, runner: runnerLiveness(state), mode: state.started?.mode, pipeline: state.started?.pipeline };
        });
        if (options.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        else for (const run of runs) process.stdout.write(`${run.runId}  ${run.mode ?? '?'}  ${run.runner.kind}  ${run.pipeline ?? ''}\n`);
        process.exitCode = EXIT.ok;
        return;
      }
      const id = pickRun(stateDir, runId, selectable);
      if (options.suggest) {
        const suggestions = suggest(loadRun(stateDir, id).tasks.values());
        process.stdout.write(`${options.json ? JSON.stringify(suggestions, null, 2) : formatSuggestions(suggestions)}\n`);
        process.exitCode = EXIT.ok;
        return;
      }
      const interval = options.watch === undefined || options.watch === false ? 0 : options.watch === true ? 5 : Number(options.watch);
      let exitCode: number = EXIT.ok;
      for (;;) {
        const state = loadRun(stateDir, id);
        const liveness = runnerLiveness(state);
        const fresh = options.refresh ? await refresh(runDirAt(stateDir, id), state) : undefined;
        const view: StatusView = {
          runId: id,
          state,
          liveness,
          ...(fresh ? { refreshed: fresh.states, refreshErrors: fresh.errors, measuredNow: measuredNow(state) } : {}),
        };
        const text = options.json ? JSON.stringify(statusJson(view), null, 2) : formatStatus(view);
        if (interval > 0 && process.stdout.isTTY && !noColorWanted()) process.stdout.write('\x1b[2J\x1b[H');
        process.stdout.write(`${text}\n`);
        exitCode = statusExitCode(state, liveness);
        if (interval <= 0 || liveness.kind !== 'alive') break;
        await sleep(interval * 1000);
      }
      process.exitCode = exitCode;
    });
  commonOptions(status);

  const kill = program
    .command('kill')
    .description('stop a run: signal its runner and cancel every job still in flight (safe to repeat)')
    .argument('[run]', 'run id (or a unique part of it); default: the latest')
    .option('-p, --pipeline <file>', 'the pipeline file whose run to stop, or a folder for any run there')
    .option('--state-dir <dir>', 'the runs folder (setting state_dir)')
    .action(async (runId: string | undefined, options: LocateFlags) => {
      const selection = selectPipeline(options.pipeline);
      const stateDir = await locateStateDir(options, selection);
      const id = pickRun(stateDir, runId, selectableRuns(stateDir, selection));
      const run = runDirAt(stateDir, id);
      let state = loadRun(stateDir, id);
      const journal = new JournalWriter(run.journal);
      journal.append({ type: 'kill-requested', by: process.pid, host: os.hostname() }, true);
      journal.close();
      const liveness = runnerLiveness(state);
      if (liveness.kind === 'alive') {
        process.stdout.write(`stopping runner pid ${liveness.pid}: it cancels its jobs\n`);
        process.kill(liveness.pid, 'SIGTERM');
        for (let waited = 0; waited < 120_000 && isRunnerProcess(liveness.pid); waited += 250) await sleep(250);
        if (isRunnerProcess(liveness.pid)) process.stdout.write(chalk.yellow(`runner pid ${liveness.pid} is still alive after 2 minutes; cancelling its jobs directly\n`));
        state = loadRun(stateDir, id);
      } else if (liveness.kind === 'elsewhere') {
        process.stdout.write(chalk.yellow(`the runner is on ${liveness.host} (pid ${liveness.pid}); cancelling its jobs from here\n`));
      } else if (liveness.kind === 'dead') {
        // A submit command the runner left may still be creating its job: its id is needed to cancel it.
        const timeout = getSetting<number>('submit_timeout');
        await settleOrphanedSubmits({ run, state }, parseSubmittedJobIds, timeout * 1000, (count) =>
          process.stdout.write(`waiting up to ${timeout} s for ${count} submit command(s) the dead runner left running, to cancel their jobs too\n`),
        );
        state = loadRun(stateDir, id);
      }
      // Whatever the runner did, cancel what the journal still shows in flight.
      let cancelled = 0;
      let failed = false;
      const inFlight = jobsBySystem(run, state);
      for (const [system, ids] of inFlight) {
        const query = await queryJobStates(system, ids, state.started?.tag ?? '');
        const active = query.error ? ids : ids.filter((jobId) => {
          const s = query.states.get(jobId);
          return s === undefined || ACTIVE_STATES.has(s.state);
        });
        if (active.length === 0) continue;
        process.stdout.write(`cancelling ${active.length} ${system} job(s): ${active.join(' ')}\n`);
        const results = await cancelJobs(system, active);
        for (const result of results) {
          if (result.startError || result.timedOut) {
            failed = true;
            process.stderr.write(chalk.red(`could not run ${result.argv[0]}: ${result.startError ?? 'timed out'}\n`));
          }
        }
        cancelled += active.length;
      }
      if (liveness.kind === 'dead' || liveness.kind === 'elsewhere') {
        // A submit command cut short may have left a job that no journal entry names.
        const swept = await cancelUnknown(state, inFlight);
        cancelled += swept.cancelled;
        failed ||= swept.failed;
      }
      process.stdout.write(cancelled ? `cancelled ${cancelled} job(s) of run ${id}\n` : `run ${id}: no jobs left to cancel\n`);
      // No runner will record it: the journal says what became of the tasks, and that the run is over.
      if (liveness.kind === 'dead' && !failed) recordKilled(run, loadRun(stateDir, id));
      process.exitCode = failed ? EXIT.failed : EXIT.ok;
    });
  commonOptions(kill);
};
