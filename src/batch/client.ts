/**
 * Talking to batch systems through their adapters: the adapter for a system
 * (probing Slurm's accounting once per process), status of a set of jobs
 * (live queue, then history for the rest), and cancelling. Used by the batch
 * executor, and by `b2 status --refresh` and `b2 kill` on runs whose runner
 * may be gone.
 */
import os from 'node:os';
import { UserError } from '../errors.js';
import { createAdapter, setupCommand, type BatchSystemName } from '../systems/registry.js';
import type { BatchAdapter, JobStatus, QueryContext } from '../systems/contract.js';
import { getSetting } from '../settings/index.js';
import { describeCommandFailure, runCommand, type CommandResult } from './run-command.js';
import { sleep } from '../util/sleep.js';

/** Binary names after the `batch_commands` setting (sites wrap them; tests point them at fakes). */
export const binaryLookup = (task?: object): ((name: string) => readonly string[]) => {
  const overrides = getSetting<Record<string, unknown>>('batch_commands', task ? { task } : {});
  return (name) => {
    const override = overrides[name];
    if (override === undefined) return [name];
    return Array.isArray(override) ? override.map(String) : [String(override)];
  };
};

const unwrap = (system: string, setup?: CommandResult): BatchAdapter => {
  const created = createAdapter(system, setup);
  if (!created.ok) throw UserError.from(created.error);
  return created.value;
};

/** An adapter good for building submissions and parsing their output (no probing). */
export const plainAdapter = (system: BatchSystemName): BatchAdapter => unwrap(system);

/** Every job id a submit command printed, in order; none when it names none (failed, or cut short). */
export const parseSubmittedJobIds = (system: BatchSystemName, stdout: string): readonly string[] => {
  const adapter = plainAdapter(system);
  if (adapter.grouped) {
    const ids = adapter.grouped.parseSubmitIds(stdout, '');
    return ids.ok ? ids.value : [];
  }
  const parsed = adapter.parseSubmitOutput(stdout, '');
  return parsed.ok ? [parsed.value] : [];
};

const adapters = new Map<BatchSystemName, Promise<BatchAdapter>>();

/** The adapter for queries too: a system's setup command (Slurm's history source) is run once. */
export const adapterFor = (system: BatchSystemName): Promise<BatchAdapter> => {
  let adapter = adapters.get(system);
  if (!adapter) {
    adapter = (async () => {
      const setup = setupCommand(system, binaryLookup());
      if (setup === undefined) return unwrap(system);
      return unwrap(system, await runCommand(setup, getSetting<number>('status_query_timeout') * 1000));
    })();
    adapters.set(system, adapter);
  }
  return adapter;
};

export interface JobQuery {
  readonly states: Map<string, JobStatus>;
  /** Set when the live query failed: the states are then unknown. */
  readonly error?: string;
}

export interface QueryOptions {
  /**
   * Asked about each job the live queue no longer lists, before its history
   * is: true when the job has since settled by other means (its exit file),
   * so that the history need not be read for it.
   */
  readonly settled?: (jobId: string) => boolean;
}

export const queryJobStates = async (system: BatchSystemName, jobIds: readonly string[], runTag: string, options: QueryOptions = {}): Promise<JobQuery> => {
  const adapter = await adapterFor(system);
  const ctx: QueryContext = { runTag, jobIds, user: os.userInfo().username };
  const bin = binaryLookup();
  const timeout = getSetting<number>('status_query_timeout') * 1000;
  const states = new Map<string, JobStatus>();
  for (const command of adapter.statusCommands(ctx, bin)) {
    const live = await runCommand(command, timeout);
    const parsed = adapter.parseStatusOutput(live.stdout, live.stderr, live.exitCode, ctx);
    if (live.timedOut || live.startError || !parsed.ok) {
      return { states, error: parsed.ok ? describeCommandFailure(live) : `${parsed.error.message}\n${describeCommandFailure(live)}` };
    }
    for (const [id, status] of parsed.value) states.set(id, status);
  }
  const missing = jobIds.filter((id) => !states.has(id) && !(options.settled?.(id) ?? false));
  if (missing.length > 0 && adapter.historyCommands && adapter.parseHistoryOutput) {
    for (const command of adapter.historyCommands(missing, ctx, bin)) {
      const result = await runCommand(command, timeout);
      const history = adapter.parseHistoryOutput(result.stdout, result.stderr, result.exitCode, ctx);
      if (history.ok) for (const [id, status] of history.value) if (!states.has(id)) states.set(id, status);
    }
  }
  // Grid Engine's error state explains itself only through a second command.
  if (adapter.errorReasonCommand && adapter.parseErrorReason) {
    for (const [id, status] of states) {
      if (status.state !== 'held' || status.reason) continue;
      const result = await runCommand(adapter.errorReasonCommand(id, bin), timeout);
      const reason = adapter.parseErrorReason(result.stdout, result.stderr, result.exitCode);
      if (reason) states.set(id, { ...status, reason });
    }
  }
  return { states };
};

/**
 * Every job the system lists with the run tag, whatever its id, with the key
 * of its task: one query. It answers what became of a submission whose
 * outcome is unknown, and which jobs of the run the journal does not know.
 */
export const queryTaggedJobs = async (system: BatchSystemName, runTag: string): Promise<JobQuery> => {
  const adapter = await adapterFor(system);
  const ctx: QueryContext = { runTag, jobIds: [], user: os.userInfo().username };
  const result = await runCommand(adapter.taggedJobsCommand(ctx, binaryLookup()), getSetting<number>('status_query_timeout') * 1000);
  const parsed = adapter.parseStatusOutput(result.stdout, result.stderr, result.exitCode, ctx);
  if (result.timedOut || result.startError || !parsed.ok) {
    return { states: new Map(), error: parsed.ok ? describeCommandFailure(result) : `${parsed.error.message}\n${describeCommandFailure(result)}` };
  }
  return { states: parsed.value };
};

/**
 * The jobs of a run that are still queued or running but that no journal
 * entry names (`known`): left by a submit command that was killed, timed
 * out or lost its answer. Cancelled, so that nothing of the run is left
 * behind. Undefined when the system could not be asked.
 */
export const cancelUnknownJobs = async (system: BatchSystemName, runTag: string, known: ReadonlySet<string>): Promise<{ cancelled: string[] } | { error: string }> => {
  const query = await queryTaggedJobs(system, runTag);
  if (query.error !== undefined) return { error: query.error };
  const unknown = [...query.states.values()].filter((status) => ACTIVE_STATES.has(status.state) && !known.has(status.jobId)).map((status) => status.jobId);
  if (unknown.length > 0) await cancelJobs(system, unknown);
  return { cancelled: unknown };
};

export const cancelJobs = async (system: BatchSystemName, jobIds: readonly string[]): Promise<CommandResult[]> => {
  const adapter = await adapterFor(system);
  const timeout = getSetting<number>('submit_timeout') * 1000;
  const results: CommandResult[] = [];
  // Packed tasks share a job (or an array element): each is cancelled once.
  for (const command of adapter.killCommands([...new Set(jobIds)], binaryLookup())) results.push(await runCommand(command, timeout));
  return results;
};

export const ACTIVE_STATES: ReadonlySet<JobStatus['state']> = new Set(['pending', 'running', 'held', 'unknown']);

/** Asks until the system no longer lists the jobs as pending, running or held, or the deadline passes. */
export const waitUntilGone = async (system: BatchSystemName, jobIds: readonly string[], runTag: string, deadline: number): Promise<void> => {
  while (Date.now() < deadline) {
    const query = await queryJobStates(system, jobIds, runTag);
    if (query.error === undefined && ![...query.states.values()].some((s) => ACTIVE_STATES.has(s.state))) return;
    await sleep(500);
  }
};
