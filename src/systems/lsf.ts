/**
 * IBM Spectrum LSF: everything goes on the bsub command line (no submit file);
 * `bjobs -a -json` by job id covers queued, running and recently finished jobs
 * (finished ones stay visible for CLEAN_PERIOD, one hour by default), so no
 * separate history command is needed.
 *
 * The run tag travels in the job description (`-Jd`), which `bjobs -o
 * job_description` prints back; the job name stays the `job_name` setting.
 */
import { ok, fail, type Failure, type Result } from '../errors.js';
import { shellQuote } from '../wrapper/quote.js';
import { MAX_ARG_BYTES } from '../wrapper/wrapper.js';
import { mergeOptions, systemOption, type Option, type OptionSyntax } from './options.js';
import {
  badSettings,
  checkResources,
  chunk,
  command,
  queryFailed,
  rejectLineBreaks,
  submitFailed,
  unreadableOutput,
  wholeMinutes,
} from './resources.js';
import { parseTaggedText, taggedText } from './task-key.js';
import { arrayScriptFile, arrayShape, elementIdReader } from './array-parts.js';
import { parseLsfLimits } from './limits.js';
import type { ArrayRequest, ArraySubmission, BatchAdapter, BatchSystem, BinaryLookup, Command, JobSpec, JobState, JobStatus, QueryContext } from './contract.js';

/**
 * How `-M` is written (setting `lsf_memory_unit`). LSF reads a bare number
 * in KB unless the site sets LSF_UNIT_FOR_LIMITS, which b2 cannot see; a
 * number with a unit (`2048MB`, LSF 10.1.0.2 and later) means the same
 * everywhere, and an older LSF rejects it loudly instead of misreading it.
 * Hence the default 'with-unit'; older sites choose the bare unit their
 * LSF_UNIT_FOR_LIMITS says.
 */
export const LSF_MEMORY_UNITS = ['with-unit', 'KB', 'MB', 'GB'] as const;
export type LsfMemoryUnit = (typeof LSF_MEMORY_UNITS)[number];
const MEMORY_UNIT_SETTING = 'lsf_memory_unit';

/** LSF job states, as in the LSF documentation "About job states". */
export const LSF_STATES: Readonly<Record<string, JobState>> = {
  PEND: 'pending', // waiting to be dispatched
  PROV: 'pending', // dispatched to a power-saved host that is still waking up: not started
  WAIT: 'pending', // chunk job member waiting for its turn
  PSUSP: 'held', // suspended by its owner or an administrator while pending: waits for bresume
  RUN: 'running', // running
  USUSP: 'held', // suspended by its owner or an administrator while running: waits for bresume
  // Suspended by LSF itself (host load over a threshold, a closed run window, preemption):
  // LSF resumes it when the condition passes, so it is still running, not held.
  SSUSP: 'running',
  DONE: 'succeeded', // exited with status 0
  EXIT: 'failed', // non-zero exit, killed, or aborted; the exit reason refines it
  UNKWN: 'unknown', // mbatchd lost contact with the execution host: may still be running
  ZOMBI: 'failed', // killed while UNKWN, or after `bkill -r`: will not report back
};

// Termination reasons (TERM_* keywords, or their descriptions) that explain an EXIT.
const TIMED_OUT = /TERM_RUNLIMIT|TERM_DEADLINE|run ?time limit|deadline/i;
const KILLED_BY_USER = /TERM_(?:FORCE_)?(?:OWNER|ADMIN)|killed by (?:owner|root|LSF admin)/i;

/** An LSF status, with EXIT refined by its exit reason. */
export const lsfState = (stat: string, exitReason = ''): JobState => {
  const state = LSF_STATES[stat] ?? 'unknown';
  if (state !== 'failed' || stat !== 'EXIT') return state;
  if (TIMED_OUT.test(exitReason)) return 'timeout';
  if (KILLED_BY_USER.test(exitReason)) return 'cancelled';
  return 'failed';
};

// ---------------------------------------------------------------- submission

// The tag must stay what b2 set, or the run would lose track of its jobs.
const TAG_OPTION = 'Jd';

const memoryLimit = (memoryMb: number, unit: LsfMemoryUnit): string => {
  switch (unit) {
    case 'with-unit':
      return `${memoryMb}MB`;
    case 'KB':
      return String(memoryMb * 1024);
    case 'MB':
      return String(memoryMb);
    case 'GB':
      return String(Math.ceil(memoryMb / 1024));
  }
};

/** `[hour:]minute` for -W, minutes rounded up. */
export const lsfRunLimit = (seconds: number): string => {
  const minutes = wholeMinutes(seconds);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
};

// `-J name[1-10]` submits a job array: brackets in a name must not reach bsub.
const lsfJobName = (name: string): string => name.replace(/[[\]]/g, '_');

// bsub -o/-oo/-e/-eo: "The file path can contain up to 4094 characters ... including expanded values for %J and %I".
const MAX_LSF_PATH = 4094;

/**
 * A log path bsub writes to as given. LSF replaces %J (job id) and %I (array
 * index, 0 outside arrays) in -oo/-eo paths and has no escape for them, so a
 * path holding either (from log_dir or a parameter value) is refused.
 */
const logPath = (what: string, value: string): string => {
  const pattern = /%[JI]/.exec(value);
  if (pattern !== null) {
    throw badSettings(
      `${what} ${JSON.stringify(value)} contains ${pattern[0]}, which LSF replaces in -oo/-eo paths (%J with the job id, %I with the array index), with no way to escape it`,
      'for LSF jobs, use a log_dir and parameter values without %J or %I',
    );
  }
  if (value.length > MAX_LSF_PATH) throw badSettings(`${what} is ${value.length} characters long; LSF takes at most ${MAX_LSF_PATH}`, 'use a shorter log_dir or shorter parameter values');
  return value;
};

const generatedOptions = (job: JobSpec, unit: LsfMemoryUnit): Option[] => {
  const resources = checkResources(job.resources);
  const options: Option[] = [
    ['J', lsfJobName(job.jobName)],
    [TAG_OPTION, taggedText(job.runTag, job.taskKey)],
    ['oo', logPath('stdout path', job.stdoutPath)],
    ['eo', logPath('stderr path', job.stderrPath)],
    // Two argv elements: "-env all" as one is not an option bsub knows.
    ['env', 'all'],
  ];
  if (resources.queue !== undefined) options.push(['q', resources.queue]);
  if (resources.cpus !== undefined) {
    options.push(['n', String(resources.cpus)]);
    // The slots of one task belong on one host.
    if (resources.cpus > 1) options.push(['R', 'span[hosts=1]']);
  }
  if (resources.memoryMb !== undefined) options.push(['M', memoryLimit(resources.memoryMb, unit)]);
  if (resources.walltimeSeconds !== undefined) options.push(['W', lsfRunLimit(resources.walltimeSeconds)]);
  return options;
};

const LSF_SYNTAX: OptionSyntax = {
  setting: 'lsf_settings',
  reserved: (name) =>
    name === TAG_OPTION ? { message: 'lsf_settings must not set "Jd": b2 puts the run tag in the job description', hint: 'remove the Jd entry' } : undefined,
};

// The settings table allows only the listed units; a spec built elsewhere is checked here.
const memoryUnit = (job: JobSpec): LsfMemoryUnit => {
  const unit = systemOption(job, MEMORY_UNIT_SETTING, 'with-unit');
  if ((LSF_MEMORY_UNITS as readonly string[]).includes(unit)) return unit as LsfMemoryUnit;
  throw badSettings(`lsf_memory_unit ${JSON.stringify(unit)} is not a memory unit`, `use one of ${LSF_MEMORY_UNITS.join(', ')}, as LSF_UNIT_FOR_LIMITS in lsf.conf says`);
};

/** The bsub argv after the binary. */
export const bsubArguments = (job: JobSpec): string[] => [...bsubOptions(generatedOptions(job, memoryUnit(job)), job, LSF_SYNTAX), lsfCommand(job.wrapperPath)];

const bsubOptions = (generated: Option[], job: JobSpec, syntax: OptionSyntax): string[] => {
  const args: string[] = [];
  for (const [option, value] of mergeOptions(generated, job.systemSettings, syntax)) {
    args.push(`-${option}`);
    if (value !== true) {
      rejectLineBreaks(`bsub option -${option}`, value);
      // Longer, and bsub would not even start (E2BIG).
      const bytes = Buffer.byteLength(value) + 1;
      if (bytes > MAX_ARG_BYTES) throw badSettings(`bsub option -${option} is ${bytes} bytes long; Linux passes at most ${MAX_ARG_BYTES} bytes per argument`);
      args.push(value);
    }
  }
  return args;
};

// bsub runs its command through a shell on the execution host.
const lsfCommand = (script: string): string => {
  rejectLineBreaks('the job wrapper path', script);
  return shellQuote(script);
};

// ---------------------------------------------------------------- arrays

// An array is named `name[1-N]%K`; its logs are opened by the array script, per task.
const arrayOptions = (job: JobSpec, arrayKey: string, size: number, slots: number): Option[] =>
  generatedOptions({ ...job, stdoutPath: '/dev/null', stderrPath: '/dev/null', taskKey: arrayKey }, memoryUnit(job)).map(([option, value]): Option =>
    option === 'J' ? ['J', `${String(value)}[1-${size}]${slots < size ? `%${slots}` : ''}`] : [option, value],
  );

const LSF_ARRAY_SYNTAX: OptionSyntax = {
  ...LSF_SYNTAX,
  reserved: (name, key) =>
    name === 'J'
      ? { message: 'lsf_settings must not set "J" while tasks go out as arrays: b2 names the array', hint: 'remove it (job_name names the jobs), or set array to false for these tasks' }
      : LSF_SYNTAX.reserved?.(name, key),
};

/** bsub's argv (after the binary) for an array of `size` elements, `slots` at once, running `script`. */
export const bsubArrayArguments = (job: JobSpec, arrayKey: string, size: number, slots: number, script: string): string[] => [
  ...bsubOptions(arrayOptions(job, arrayKey, size, slots), job, LSF_ARRAY_SYNTAX),
  lsfCommand(script),
];

export const lsfArray: ArraySubmission = {
  groupKey: (job) => JSON.stringify(bsubArrayArguments(job, '0'.repeat(12), 1, 1, '/')),
  submission: (request: ArrayRequest, bin: BinaryLookup) => {
    const shape = arrayShape(request);
    const args = bsubArrayArguments(request.options, request.arrayKey, shape.size, shape.slots, shape.script);
    // As -oo: a new attempt's log replaces the last.
    const script = arrayScriptFile(request, shape, { index: '"${LSB_JOBINDEX:-}"', appendLogs: false, command: ['bsub', ...args] });
    return { files: [script], command: command(bin, 'bsub', args, request.dir) };
  },
  parseArrayId: (stdout, stderr) => parseBsubOutput(stdout, stderr),
  elementId: (arrayId, index) => `${arrayId}[${index}]`,
  elementOf: elementIdReader(/^(\d+)\[(\d+)\]$/),
  limits: { command: (bin) => command(bin, 'bparams', ['-a']), parse: parseLsfLimits },
};

/** `Job <123> is submitted to [default ]queue <q>.`, on any line (some sites print banners first). */
export const parseBsubOutput = (stdout: string, stderr: string): Result<string, Failure> => {
  const match = /Job <(\d+)> is submitted to (?:default )?queue/.exec(stdout);
  return match === null ? fail(submitFailed('bsub', stdout, stderr)) : ok(match[1]!);
};

// ---------------------------------------------------------------- status

// jobindex: an array element's index (0 for a job outside arrays).
const BJOBS_FIELDS = 'jobid jobindex stat exit_code exit_reason job_description';

// Lines that say "nothing to show" for some or all ids: not a failed query.
const NOTHING_FOUND = /^(?:Job <[^>]*> is not found|No (?:unfinished )?job found|No matching job found)\.?$/;

const bjobsCommand = (ids: readonly string[], ctx: QueryContext, bin: BinaryLookup): Command =>
  command(bin, 'bjobs', ['-a', '-json', '-o', BJOBS_FIELDS, ...(ids.length === 0 ? ['-u', ctx.user] : ids)]);

interface BjobsRecord {
  readonly JOBID?: unknown;
  readonly JOBINDEX?: unknown;
  readonly STAT?: unknown;
  readonly EXIT_CODE?: unknown;
  readonly EXIT_REASON?: unknown;
  readonly JOB_DESCRIPTION?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '');

/** An array element is `N[i]` (some sites print JOBID so already); any other job is `N`. */
const recordId = (record: BjobsRecord): string => {
  const id = text(record.JOBID);
  const index = text(record.JOBINDEX);
  return /^\d+$/.test(id) && /^[1-9]\d*$/.test(index) ? `${id}[${index}]` : id;
};

const recordStatus = (record: BjobsRecord): JobStatus | undefined => {
  const jobId = recordId(record);
  const native = text(record.STAT);
  // Records for unknown ids carry an ERROR field and no STAT.
  if (jobId === '' || native === '') return undefined;
  const exitReason = text(record.EXIT_REASON);
  const exitCode = text(record.EXIT_CODE);
  return {
    jobId,
    state: lsfState(native, exitReason),
    native,
    ...(/^\d+$/.test(exitCode) ? { exitCode: Number(exitCode) } : {}),
    ...(exitReason === '' || exitReason === '-' ? {} : { reason: exitReason }),
  };
};

const meaningful = (output: string): string[] =>
  output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/**
 * `bjobs -a -json -o ...` output. Ids LSF does not know give `Job <N> is not
 * found` on stderr (and exit 255 when other ids were found): they are left out
 * of the map, not a failure.
 */
export const parseBjobsOutput = (
  stdout: string,
  stderr: string,
  exitCode: number,
  ctx?: QueryContext,
): Result<Map<string, JobStatus>, Failure> => {
  const unexplained = meaningful(stderr).filter((line) => !NOTHING_FOUND.test(line));
  if (exitCode !== 0 && unexplained.length > 0) return fail(queryFailed('bjobs', exitCode, stdout, stderr));
  const statuses = new Map<string, JobStatus>();
  const body = stdout.trim();
  if (!body.startsWith('{')) {
    if (meaningful(stdout).every((line) => NOTHING_FOUND.test(line))) return ok(statuses);
    return fail(unreadableOutput('bjobs -json', 'not JSON', stdout));
  }
  let records: unknown;
  try {
    records = (JSON.parse(body) as { RECORDS?: unknown }).RECORDS ?? [];
  } catch {
    return fail(unreadableOutput('bjobs -json', 'invalid JSON', stdout));
  }
  if (!Array.isArray(records)) return fail(unreadableOutput('bjobs -json', 'RECORDS is not a list', stdout));
  for (const record of records as BjobsRecord[]) {
    if (typeof record !== 'object' || record === null) continue;
    const tagged = parseTaggedText(text(record.JOB_DESCRIPTION));
    if (ctx !== undefined && tagged.runTag !== ctx.runTag) continue;
    const status = recordStatus(record);
    if (status !== undefined) statuses.set(status.jobId, tagged.taskKey === undefined ? status : { ...status, taskKey: tagged.taskKey });
  }
  return ok(statuses);
};

// ---------------------------------------------------------------- adapter

export const createLsfAdapter = (): BatchAdapter => ({
  name: 'lsf',
  // Everything is on the command line; building it here too lets a value bsub cannot take stop the run before anything is submitted.
  submitFiles: (job) => {
    bsubArguments(job);
    return [];
  },
  submitCommand: (job, bin) => command(bin, 'bsub', bsubArguments(job), job.taskFileDir),
  parseSubmitOutput: parseBsubOutput,
  // Every job of the user; the parser keeps those whose description carries the tag.
  taggedJobsCommand: (ctx, bin) => bjobsCommand([], ctx, bin),
  statusCommands: (ctx, bin) => chunk(ctx.jobIds).map((ids) => bjobsCommand(ids, ctx, bin)),
  parseStatusOutput: parseBjobsOutput,
  // bkill's "Job has already finished" / "No matching job found" lines need no attention.
  killCommands: (jobIds, bin) => chunk(jobIds).map((ids) => command(bin, 'bkill', ids)),
  array: lsfArray,
});

export const LSF: BatchSystem<'lsf'> = {
  name: 'lsf',
  aliases: [],
  detection: { binary: 'bsub', described: 'bsub' },
  settingsDescription: 'extra bsub options: {"R": "rusage[mem=2000]"} gives -R rusage[mem=2000]',
  settings: [
    {
      key: MEMORY_UNIT_SETTING,
      type: { kind: 'enum', values: LSF_MEMORY_UNITS },
      default: 'with-unit',
      description: 'how bsub -M gives memory: with-unit ("2048MB", LSF 10.1.0.2 on), or a bare number in the unit LSF_UNIT_FOR_LIMITS sets (KB when unset)',
    },
  ],
  create: createLsfAdapter,
};
