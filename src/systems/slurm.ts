/**
 * Slurm: a batch script (templates/slurm.sh) submitted with
 * `sbatch --parsable`, every option on sbatch's command line; `squeue -t all`
 * for jobs slurmctld still holds (until MinJobAge after they end); then
 * sacct, `sacct -c` or scontrol, whichever the site keeps, for jobs squeue no
 * longer lists.
 *
 * The run tag travels in `--comment`: squeue shows it (%k) without an
 * accounting database, and it leaves the job name, which users see in
 * `squeue`, to the `job_name` setting.
 */
import { ok, fail, type Failure, type Result } from '../errors.js';
import { shellJoin, shellQuote } from '../wrapper/quote.js';
import { loadTemplate, renderTemplate } from '../wrapper/render.js';
import { mergeOptions, type Option, type OptionSyntax } from './options.js';
import {
  badSettings,
  checkResources,
  chunk,
  clockTime,
  command,
  queryFailed,
  rejectLineBreaks,
  rejectLineBreaksInScriptPaths,
  submitFailed,
} from './resources.js';
import { parseTaggedText, taggedText } from './task-key.js';
import { arrayScriptFile, arrayShape, elementIdReader } from './array-parts.js';
import { parseSlurmLimits } from './limits.js';
import type { ArrayRequest, ArraySubmission, BatchAdapter, BatchSystem, BinaryLookup, Command, JobFile, JobSpec, JobState, JobStatus, QueryContext } from './contract.js';

/** Where finished jobs are looked up once squeue has forgotten them. */
export type SlurmHistoryMode =
  | 'sacct' // accounting database (slurmdbd): `sacct -X`
  | 'sacct-completion' // no database, job completion log (JobCompType): `sacct -c`
  | 'scontrol'; // neither: `scontrol show job`, which knows what squeue knows

export interface SlurmAdapterOptions {
  /** Decided once per run with `probeSlurmAccountingCommand`; default 'sacct'. */
  readonly history?: SlurmHistoryMode;
}

export const SLURM_SCRIPT_NAME = 'slurm_job.sh';

/**
 * Every Slurm job state (squeue %T, sacct State, scontrol JobState), as
 * documented in squeue(1) "JOB STATE CODES" for Slurm 22.05.
 */
export const SLURM_STATES: Readonly<Record<string, JobState>> = {
  PENDING: 'pending', // waiting for resources, priority, a dependency, a begin time or a user hold (the reason says which)
  CONFIGURING: 'pending', // resources allocated, nodes still booting: the job has not started
  RUNNING: 'running', // running
  COMPLETING: 'running', // ended, processes on some nodes still finishing
  COMPLETED: 'succeeded', // every process ended with exit code 0
  FAILED: 'failed', // non-zero exit code, killed by a signal, or could not launch
  CANCELLED: 'cancelled', // scancel by the user or an administrator (sacct: "CANCELLED by <uid>")
  TIMEOUT: 'timeout', // reached its time limit
  NODE_FAIL: 'failed', // a node of the allocation failed
  OUT_OF_MEMORY: 'failed', // exceeded its memory limit
  PREEMPTED: 'failed', // ended by preemption (a requeued job shows REQUEUED, then PENDING)
  SUSPENDED: 'running', // started, then suspended; keeps its place and resumes
  BOOT_FAIL: 'failed', // a node failed to boot: the job never started
  DEADLINE: 'timeout', // ended, or never started, because its --deadline passed
  REQUEUED: 'pending', // being requeued: will run again
  REQUEUE_FED: 'pending', // requeued by a federation sibling: will run again
  REQUEUE_HOLD: 'held', // requeued and held: waits for `scontrol release`
  RESIZING: 'running', // running, its allocation is changing size
  REVOKED: 'cancelled', // federation: withdrawn here because a sibling cluster started it
  SIGNALING: 'running', // running, a signal is being delivered
  SPECIAL_EXIT: 'held', // requeued and held after a special exit value: waits for release
  STAGE_OUT: 'running', // ended, burst-buffer data still staging out
  STOPPED: 'running', // started, then stopped with SIGSTOP; keeps its allocation
  RESV_DEL_HOLD: 'held', // held because its reservation was deleted
};

/** The state Slurm printed, tolerating `CANCELLED by 1000` and sacct's truncated `OUT_OF_ME+`. */
export const slurmState = (text: string): JobState => {
  const word = text.trim().split(/\s+/)[0] ?? '';
  const exact = SLURM_STATES[word];
  if (exact !== undefined) return exact;
  if (word.endsWith('+') && word.length > 1) {
    const prefix = word.slice(0, -1);
    const matches = Object.keys(SLURM_STATES).filter((name) => name.startsWith(prefix));
    if (matches.length === 1) return SLURM_STATES[matches[0]!]!;
  }
  return 'unknown';
};

// A hold (scontrol hold, sbatch -H) shows as PENDING with one of these reasons: it waits for `scontrol release`.
const HELD_REASON = /^JobHeld(?:User|Admin)$/;

/** The state, with a PENDING job that is held read as held. */
export const slurmStateWithReason = (native: string, reason: string): JobState => {
  const state = slurmState(native);
  return state === 'pending' && HELD_REASON.test(reason.trim()) ? 'held' : state;
};

// ---------------------------------------------------------------- submission

// Short options most often written in slurm_settings, so that `t` replaces the generated `time`.
const LONG_NAMES: Readonly<Record<string, string>> = {
  A: 'account',
  c: 'cpus-per-task',
  e: 'error',
  J: 'job-name',
  n: 'ntasks',
  N: 'nodes',
  o: 'output',
  p: 'partition',
  q: 'qos',
  t: 'time',
};

// The tag must stay what b2 set, or the run would lose track of its jobs.
const TAG_OPTION = 'comment';

// Slurm expands %j, %x, ... in --output/--error; `%%` is a literal percent sign.
const literalFileName = (path: string): string => path.replace(/%/g, '%%');

/** `D-HH:MM:SS` from one day on, else `H:MM:SS` (sbatch --time). */
export const slurmTime = (seconds: number): string => {
  const days = Math.floor(seconds / 86400);
  if (days === 0) return clockTime(seconds);
  const rest = clockTime(seconds % 86400).padStart(8, '0');
  return `${days}-${rest}`;
};

type SbatchOption = Option;

// Slurm drops every backslash from an --output/--error path and then reads no
// %-pattern in it (Slurm 22.05: the job fails with JobLaunchFailure when the
// folder without them does not exist): such a path cannot be written for
// Slurm, so the batch script opens it itself.
const slurmCannotName = (path: string): boolean => path.includes('\\');

/** Whether the batch script, not Slurm, opens the task's log files. */
const scriptOpensLogs = (job: JobSpec): boolean => slurmCannotName(job.stdoutPath) || slurmCannotName(job.stderrPath);

const logOptions = (job: JobSpec): SbatchOption[] =>
  scriptOpensLogs(job)
    ? [
        ['output', '/dev/null'],
        ['error', '/dev/null'],
      ]
    : [
        ['output', literalFileName(job.stdoutPath)],
        ['error', literalFileName(job.stderrPath)],
      ];

const generatedOptions = (job: JobSpec): SbatchOption[] => {
  const resources = checkResources(job.resources);
  const options: SbatchOption[] = [...logOptions(job), ['job-name', job.jobName], [TAG_OPTION, taggedText(job.runTag, job.taskKey)]];
  if (resources.cpus !== undefined) options.push(['cpus-per-task', String(resources.cpus)]);
  if (resources.memoryMb !== undefined) options.push(['mem', `${resources.memoryMb}M`]);
  if (resources.walltimeSeconds !== undefined) options.push(['time', slurmTime(resources.walltimeSeconds)]);
  if (resources.queue !== undefined) options.push(['partition', resources.queue]);
  return options;
};

const SLURM_SYNTAX: OptionSyntax = {
  setting: 'slurm_settings',
  optionName: (key) => LONG_NAMES[key] ?? key,
  reserved: (option, key) =>
    option === TAG_OPTION
      ? { message: `slurm_settings must not set "${key}": b2 uses --comment to find the jobs of a run`, hint: 'remove the comment entry; b2 sets it to the run tag' }
      : undefined,
};

/**
 * One option as sbatch's argv: `--name=value` in one element, so that
 * getopt hands sbatch the value as it is; a short option without a long
 * name takes its value as the next element, which getopt takes whole.
 */
const optionArgs = ([option, value]: SbatchOption): string[] => {
  const flag = option.length === 1 ? `-${option}` : `--${option}`;
  if (value === true) return [flag];
  // The script shows the command line as a comment: a line break would end it.
  rejectLineBreaks(`slurm option ${option}`, value);
  return option.length === 1 ? [flag, value] : [`${flag}=${value}`];
};

/**
 * sbatch's options, as argv elements: never #SBATCH lines, whose reader
 * takes a backslash for an escape even inside single quotes, so that a
 * value like `x\' --array=1-3 #` would add options of its own.
 */
export const sbatchOptions = (job: JobSpec): string[] => ['--parsable', ...mergeOptions(generatedOptions(job), job.systemSettings, SLURM_SYNTAX).flatMap(optionArgs)];

// `>` truncates, as Slurm's own --output does by default.
const logRedirect = (job: JobSpec): string =>
  scriptOpensLogs(job) ? `exec >${shellQuote(job.stdoutPath)} 2>${shellQuote(job.stderrPath)}` : '# Slurm opens the log files.';

/** The batch script's text: no line sbatch reads, and the command line that submits it, for a human. */
export const renderSlurmScript = (job: JobSpec): string => {
  rejectLineBreaksInScriptPaths(job);
  return renderTemplate(loadTemplate('slurm.sh'), {
    command: shellJoin(['sbatch', ...sbatchOptions(job), scriptPath(job)]),
    logs: logRedirect(job),
    wrapper: shellQuote(job.wrapperPath),
  });
};

const scriptPath = (job: JobSpec): string => `${job.taskFileDir}/${SLURM_SCRIPT_NAME}`;

/** The job id `sbatch --parsable` printed (`123`, or `123;cluster`); also reads the plain `Submitted batch job 123`. */
export const parseSbatchOutput = (stdout: string, stderr: string): Result<string, Failure> => {
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+(?:_\d+)?)(?:;\S*)?\s*$/.exec(line) ?? /Submitted batch job (\d+)/.exec(line);
    if (match !== null) return ok(match[1]!);
  }
  return fail(submitFailed('sbatch', stdout, stderr));
};

// ---------------------------------------------------------------- arrays

// The array script opens each task's logs; Slurm's own streams of the element go nowhere.
const arrayOptions = (job: JobSpec, arrayKey: string): SbatchOption[] =>
  generatedOptions({ ...job, stdoutPath: '/dev/null', stderrPath: '/dev/null', taskKey: arrayKey });

/** sbatch's options for an array of `size` elements, `slots` of them running at once. */
export const sbatchArrayOptions = (job: JobSpec, arrayKey: string, size: number, slots: number): string[] => [
  '--parsable',
  `--array=1-${size}${slots < size ? `%${slots}` : ''}`,
  ...mergeOptions(arrayOptions(job, arrayKey), job.systemSettings, SLURM_ARRAY_SYNTAX).flatMap(optionArgs),
];

// An array sets its own --array; a setting for it would split the tasks differently.
const SLURM_ARRAY_SYNTAX: OptionSyntax = {
  ...SLURM_SYNTAX,
  reserved: (option, key) =>
    option === 'array' || key === 'a'
      ? { message: `slurm_settings must not set "${key}" while tasks go out as arrays`, hint: 'remove it, or set array to false for these tasks' }
      : SLURM_SYNTAX.reserved?.(option, key),
};

/** An array element's id: `ArrayJobId_ArrayTaskId`. */
const ELEMENT_ID = /^(\d+)_(\d+)$/;

export const slurmArray: ArraySubmission = {
  // Equal options (logs and tag aside): the same sbatch command line.
  groupKey: (job) => JSON.stringify(sbatchArrayOptions(job, '0'.repeat(12), 1, 1)),
  submission: (request: ArrayRequest, bin: BinaryLookup) => {
    const shape = arrayShape(request);
    const argv = [...sbatchArrayOptions(request.options, request.arrayKey, shape.size, shape.slots), shape.script];
    const script = arrayScriptFile(request, shape, { index: '"${SLURM_ARRAY_TASK_ID:-}"', appendLogs: false, command: ['sbatch', ...argv] });
    return { files: [script], command: command(bin, 'sbatch', argv, request.dir) };
  },
  parseArrayId: parseSbatchOutput,
  elementId: (arrayId, index) => `${arrayId}_${index}`,
  elementOf: elementIdReader(ELEMENT_ID),
  limits: { command: (bin) => command(bin, 'scontrol', ['show', 'config']), parse: parseSlurmLimits },
};

// ---------------------------------------------------------------- live queue

// id | state | reason | comment (the run tag); the comment is last as it is free text.
// With -r, each element of an array has a line of its own (`12_5`), pending ones too.
const SQUEUE_FORMAT = '%i|%T|%r|%k';
const SQUEUE_LINE = /^(\d[\w.+-]*)\|([^|]*)\|([^|]*)\|(.*)$/;

// What squeue says about ids it has purged (after MinJobAge): not a failed query.
const PURGED = /Invalid job id specified/;

const squeueCommand = (ids: readonly string[], ctx: QueryContext, bin: BinaryLookup): Command =>
  command(
    bin,
    'squeue',
    ids.length === 0
      ? ['-h', '-r', '-t', 'all', '-o', SQUEUE_FORMAT, '-u', ctx.user]
      : ['-h', '-r', '-t', 'all', '-o', SQUEUE_FORMAT, '-j', ids.join(',')],
  );

const withReason = (reason: string): { reason?: string } =>
  reason === '' || reason === 'None' || reason === '(null)' ? {} : { reason };

export const parseSqueueOutput = (
  stdout: string,
  stderr: string,
  exitCode: number,
  ctx?: QueryContext,
): Result<Map<string, JobStatus>, Failure> => {
  if (exitCode !== 0 && !PURGED.test(stderr)) return fail(queryFailed('squeue', exitCode, stdout, stderr));
  const statuses = new Map<string, JobStatus>();
  for (const line of stdout.split('\n')) {
    const match = SQUEUE_LINE.exec(line.trim());
    if (match === null) continue;
    const [, jobId = '', native = '', reason = '', comment = ''] = match;
    const tagged = parseTaggedText(comment);
    if (ctx !== undefined && tagged.runTag !== ctx.runTag) continue;
    const key = tagged.taskKey === undefined ? {} : { taskKey: tagged.taskKey };
    statuses.set(jobId, { jobId, state: slurmStateWithReason(native, reason), native, ...withReason(reason), ...key });
  }
  return ok(statuses);
};

// ---------------------------------------------------------------- history

const ACCOUNTING_DISABLED = /accounting storage is disabled/i;

/** `a:b` -> exit code a and, when not 0, signal b. */
const exitFields = (text: string): { exitCode?: number; signal?: number } => {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (match === null) return {};
  const signal = Number(match[2]);
  return { exitCode: Number(match[1]), ...(signal === 0 ? {} : { signal }) };
};

const sacctStatus = (jobId: string, native: string, exit: string): JobStatus => ({
  jobId,
  state: slurmState(native),
  native,
  ...exitFields(exit),
  // "CANCELLED by 1000" names who cancelled it.
  ...(/\sby\s/.test(native) ? { reason: native } : {}),
});

/** `sacct -n -P -o JobID,State,ExitCode` lines (with or without -c); job steps (`123.batch`) are skipped. */
export const parseSacctOutput = (stdout: string, stderr: string, exitCode: number): Result<Map<string, JobStatus>, Failure> => {
  if (exitCode !== 0) {
    const failure = queryFailed('sacct', exitCode, stdout, stderr);
    if (!ACCOUNTING_DISABLED.test(stderr)) return fail(failure);
    return fail({ ...failure, hint: 'this cluster has no accounting database: use the sacct-completion or scontrol history mode' });
  }
  const statuses = new Map<string, JobStatus>();
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split('|');
    if (fields.length < 3) continue;
    const [jobId, native, exit] = fields as [string, string, string];
    if (jobId.includes('.') || jobId === '') continue;
    // A requeued job has one line per attempt, oldest first.
    statuses.set(jobId, sacctStatus(jobId, native, exit));
  }
  return ok(statuses);
};

// One `Key=value` of scontrol's output; values (Reason, Comment) may hold spaces.
const scontrolField = (record: string, key: string): string | undefined => {
  const match = new RegExp(`(?:^|\\s)${key}=(.*?)(?=\\s+[A-Za-z][\\w:/]*=|\\s*$)`).exec(record);
  return match === null ? undefined : match[1]!.trim();
};

/** `scontrol show job [-o] ID` records. */
export const parseScontrolOutput = (
  stdout: string,
  stderr: string,
  exitCode: number,
  ctx?: QueryContext,
): Result<Map<string, JobStatus>, Failure> => {
  if (exitCode !== 0 && !PURGED.test(stderr)) return fail(queryFailed('scontrol', exitCode, stdout, stderr));
  const statuses = new Map<string, JobStatus>();
  for (const record of stdout.split(/(?:^|\n)(?=JobId=)/)) {
    // An array element's JobId is a job id of its own: the element is `ArrayJobId_ArrayTaskId`.
    const arrayJob = scontrolField(record, 'ArrayJobId');
    const arrayTask = scontrolField(record, 'ArrayTaskId');
    const jobId = arrayJob !== undefined && arrayTask !== undefined && /^\d+$/.test(arrayTask) ? `${arrayJob}_${arrayTask}` : scontrolField(record, 'JobId');
    const native = scontrolField(record, 'JobState');
    if (jobId === undefined || native === undefined) continue;
    if (ctx !== undefined && parseTaggedText(scontrolField(record, 'Comment') ?? '').runTag !== ctx.runTag) continue;
    statuses.set(jobId, {
      jobId,
      state: slurmStateWithReason(native, scontrolField(record, 'Reason') ?? ''),
      native,
      ...exitFields(scontrolField(record, 'ExitCode') ?? ''),
      ...withReason(scontrolField(record, 'Reason') ?? ''),
    });
  }
  return ok(statuses);
};

const historyCommands = (mode: SlurmHistoryMode, jobIds: readonly string[], bin: BinaryLookup): Command[] => {
  // The job completion log names array elements by their array's id alone: scontrol still tells them apart.
  const elements = mode === 'sacct-completion' ? jobIds.filter((id) => ELEMENT_ID.test(id)) : [];
  if (elements.length > 0) {
    const plain = jobIds.filter((id) => !ELEMENT_ID.test(id));
    return [...historyCommands(mode, plain, bin), ...elements.map((id) => command(bin, 'scontrol', ['show', 'job', '-o', id]))];
  }
  switch (mode) {
    case 'sacct':
      return chunk(jobIds).map((ids) => command(bin, 'sacct', ['-n', '-P', '-X', '-j', ids.join(','), '-o', 'JobID,State,ExitCode']));
    case 'sacct-completion':
      return chunk(jobIds).map((ids) => command(bin, 'sacct', ['-c', '-n', '-P', '-j', ids.join(','), '-o', 'JobID,State,ExitCode']));
    case 'scontrol':
      // scontrol shows one job per call.
      return jobIds.map((id) => command(bin, 'scontrol', ['show', 'job', '-o', id]));
  }
};

/**
 * Run once per run to choose the history mode. `sacct` exits 0 with an
 * accounting database and prints "Slurm accounting storage is disabled"
 * (exit 1) without one; `-S now` keeps the answer empty.
 */
export const probeSlurmAccountingCommand = (bin: BinaryLookup): Command =>
  command(bin, 'sacct', ['-n', '-P', '-X', '-S', 'now', '-o', 'JobID']);

/**
 * The history mode from the probe's output. Without a database `sacct -c`
 * reads the job completion log, which b2 cannot test without a finished job;
 * when sacct is missing or broken, only scontrol is left.
 */
export const parseSlurmAccountingProbe = (_stdout: string, stderr: string, exitCode: number): SlurmHistoryMode => {
  if (exitCode === 0) return 'sacct';
  return ACCOUNTING_DISABLED.test(stderr) ? 'sacct-completion' : 'scontrol';
};

// ---------------------------------------------------------------- adapter

export interface SlurmAdapter extends BatchAdapter {
  readonly history: SlurmHistoryMode;
}

export const createSlurmAdapter = (options: SlurmAdapterOptions = {}): SlurmAdapter => {
  const history = options.history ?? 'sacct';
  return {
    name: 'slurm',
    history,
    submitFiles: (job: JobSpec): JobFile[] => [{ path: scriptPath(job), content: renderSlurmScript(job), mode: 0o755 }],
    submitCommand: (job, bin) => command(bin, 'sbatch', [...sbatchOptions(job), scriptPath(job)], job.taskFileDir),
    parseSubmitOutput: parseSbatchOutput,
    // Every job of the user; the parser keeps those whose comment carries the tag.
    taggedJobsCommand: (ctx, bin) => squeueCommand([], ctx, bin),
    statusCommands: (ctx, bin) => chunk(ctx.jobIds).map((ids) => squeueCommand(ids, ctx, bin)),
    parseStatusOutput: parseSqueueOutput,
    historyCommands: (jobIds, _ctx, bin) => historyCommands(history, jobIds, bin),
    parseHistoryOutput: (stdout, stderr, exitCode, ctx) =>
      history === 'scontrol' || /^JobId=/m.test(stdout) || (exitCode !== 0 && PURGED.test(stderr))
        ? parseScontrolOutput(stdout, stderr, exitCode, ctx)
        : parseSacctOutput(stdout, stderr, exitCode),
    killCommands: (jobIds, bin) => chunk(jobIds).map((ids) => command(bin, 'scancel', ids)),
    array: slurmArray,
  };
};

const isHistoryMode = (value: unknown): value is SlurmHistoryMode => value === 'sacct' || value === 'sacct-completion' || value === 'scontrol';

export const SLURM: BatchSystem<'slurm'> = {
  name: 'slurm',
  aliases: [],
  detection: { binary: 'sbatch', described: 'sbatch' },
  settingsDescription: 'extra sbatch options: {"export": "NONE"} gives --export=NONE',
  settings: [],
  // Where finished jobs are found depends on the site's accounting.
  setup: { command: probeSlurmAccountingCommand, read: parseSlurmAccountingProbe },
  create: (history) => createSlurmAdapter(isHistoryMode(history) ? { history } : {}),
};
