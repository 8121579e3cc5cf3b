/**
 * PBS Professional (and OpenPBS): a batch script submitted with qsub, every
 * option on qsub's command line, never `#PBS` lines (`-C ''`: qsub scans the
 * script for no directive); `qstat -x -f -F json` for queued, running and,
 * where the server keeps job history (job_history_enable), finished jobs:
 * one query covers both; `qdel` cancels.
 *
 * The run tag and the task key travel in the job's environment list,
 * `-v B2_RUN_TAG=<tag>.<key>`, which `qstat -f -F json` prints back under
 * Variable_List; the job name stays the `job_name` setting.
 *
 * PBS reads `[host:]path` in -o and -e, so its own streams go to /dev/null
 * and the script opens the task's log files itself, quoted for bash.
 * Reference: PBS Professional Reference Guide (2021.1), "qsub", "qstat",
 * "Job States" and "Job Exit Status".
 */
import { ok, fail, type Failure, type Result } from '../errors.js';
import { shellJoin, shellQuote } from '../wrapper/quote.js';
import { parseTaggedText, taggedText } from './task-key.js';
import type { BatchAdapter, BatchSystem, BinaryLookup, Command, JobFile, JobSpec, JobState, JobStatus, QueryContext } from './contract.js';
import { mergeOptions, type Option, type OptionSyntax } from './options.js';
import { checkResources, chunk, clockTime, command, queryFailed, rejectLineBreaks, rejectLineBreaksInScriptPaths, submitFailed, unreadableOutput } from './resources.js';

export const PBS_SCRIPT_NAME = 'pbs_job.sh';

/** The variable of the job's environment list that carries the run tag and the task key. */
export const PBS_TAG_VARIABLE = 'B2_RUN_TAG';

/**
 * job_state codes, from the PBS Professional Reference Guide, "Job States".
 * F and X (finished) are refined by Exit_status.
 */
export const PBS_STATES: Readonly<Record<string, JobState>> = {
  B: 'running', // an array job that has begun: at least one subjob has started
  E: 'running', // exiting after having run: still on its host, copying files back
  F: 'succeeded', // finished (completed, failed or deleted): Exit_status tells which
  H: 'held', // held by a user, an operator or the system: waits for qrls
  M: 'unknown', // moved to another server: no longer answered for here
  Q: 'pending', // queued, eligible to run or be routed
  R: 'running', // running
  S: 'running', // suspended by the scheduler or a server policy: PBS resumes it
  T: 'pending', // being moved to a new location (transit)
  U: 'running', // suspended because its host's keyboard is busy: PBS resumes it
  W: 'pending', // waiting for its execution time, or after a failed stage-in
  X: 'succeeded', // a finished subjob of an array: Exit_status tells which
};

// Negative Exit_status values are PBS's own (JOB_EXEC_* in the guide's "Job Exit Status").
const EXEC_FAILURES: Readonly<Record<number, string>> = {
  [-1]: 'job execution failed, before files, no retry',
  [-2]: 'job execution failed, after files, no retry',
  [-3]: 'job execution failed, will be retried',
  [-4]: 'job aborted on MoM initialization',
  [-10]: 'job could not run: invalid user or group on the execution host',
  [-24]: 'killed for exceeding its ncpus (burst)',
  [-25]: 'killed for exceeding its ncpus (sum)',
  [-26]: 'killed for exceeding its vmem limit',
  [-27]: 'killed for exceeding its mem limit',
  [-28]: 'killed for exceeding its cput limit',
  [-29]: 'killed for exceeding its walltime limit',
};
const KILLED_FOR_WALLTIME = -29;
// Exit_status above this is 256 + the signal that killed the job (271: SIGTERM, as qdel sends).
const SIGNAL_BASE = 256;

// ---------------------------------------------------------------- submission

// PBS job names: at most 236 characters, no blanks or shell specials; everything unusual becomes _.
const MAX_NAME = 236;
const jobName = (name: string): string => name.replace(/[^A-Za-z0-9_.+-]/g, '_').slice(0, MAX_NAME) || 'b2';

// -v takes `NAME=value,NAME=value`, with its own quoting for commas: the tag keeps to characters that need none.
const tagSafe = (text: string): string => text.replace(/[^A-Za-z0-9_.:@+-]/g, '_');

/** The value of B2_RUN_TAG for a job: the run tag (made -v safe) and the task key. */
export const pbsTag = (runTag: string, taskKey: string): string => taggedText(tagSafe(runTag), taskKey);

/** `-l select=1:ncpus=N:mem=Mmb`, `-l walltime=H:MM:SS`: one chunk on one host. */
const generatedOptions = (job: JobSpec): Option[] => {
  const resources = checkResources(job.resources);
  const options: Option[] = [
    ['C', ''],
    ['N', jobName(job.jobName)],
    ['v', `${PBS_TAG_VARIABLE}=${pbsTag(job.runTag, job.taskKey)}`],
    ['o', '/dev/null'],
    ['e', '/dev/null'],
    ['S', '/bin/bash'],
  ];
  if (resources.queue !== undefined) options.push(['q', resources.queue]);
  if (resources.cpus !== undefined || resources.memoryMb !== undefined) {
    const chunkResources = [`ncpus=${resources.cpus ?? 1}`, ...(resources.memoryMb === undefined ? [] : [`mem=${resources.memoryMb}mb`])];
    options.push(['l', `select=1:${chunkResources.join(':')}`]);
  }
  if (resources.walltimeSeconds !== undefined) options.push(['l', `walltime=${clockTime(resources.walltimeSeconds)}`]);
  return options;
};

// Options b2 relies on: the tag in the environment list, and qsub reading no directive from the script.
const RESERVED: Readonly<Record<string, string>> = {
  v: 'b2 puts the run tag in the job\'s environment list (-v); set variables with the env setting',
  V: 'the job wrapper sets up the environment (env, env_script); -V would export the submit shell\'s whole environment',
  C: 'b2 keeps qsub from reading #PBS lines in its script',
};

// A `-l` resource is known by its name, so that `select` from pbs_settings replaces b2's and keeps walltime.
const resourceName = (value: string): string => value.split('=')[0]!.trim();

const PBS_SYNTAX: OptionSyntax = {
  setting: 'pbs_settings',
  reserved: (key) => (RESERVED[key] === undefined ? undefined : { message: `pbs_settings must not set "${key}"`, hint: RESERVED[key]! }),
  identity: ([key, value]) => (key === 'l' && value !== true ? `l:${resourceName(value)}` : key),
};

/** One option as qsub's argv: the value one element. */
const optionArgs = ([key, value]: Option): string[] => {
  if (value === true) return [`-${key}`];
  // The script shows the command line as a comment: a line break would end it.
  rejectLineBreaks(`pbs option -${key}`, value);
  return [`-${key}`, value];
};

/** qsub's options, as argv elements. */
export const pbsQsubOptions = (job: JobSpec): string[] => mergeOptions(generatedOptions(job), job.systemSettings, PBS_SYNTAX).flatMap(optionArgs);

const scriptPath = (job: JobSpec): string => `${job.taskFileDir}/${PBS_SCRIPT_NAME}`;

/** The script's text: the task's log files opened with bash quoting, then the wrapper; no line qsub reads. */
export const renderPbsScript = (job: JobSpec): string => {
  rejectLineBreaksInScriptPaths(job);
  return [
    '#!/bin/bash',
    '# b2 batch script for PBS, rendered by src/systems/pbs.ts. Its options are',
    "# on qsub's command line, with -C '' so that qsub reads no directive here.",
    '# Submitted from this folder with:',
    `# ${shellJoin(['qsub', ...pbsQsubOptions(job), scriptPath(job)])}`,
    '# PBS reads host:path in -o and -e: the task\'s log files are opened here.',
    `exec >>${shellQuote(job.stdoutPath)} 2>>${shellQuote(job.stderrPath)}`,
    "# The job runs the b2 job wrapper, whose exit-status file decides success.",
    `exec ${shellQuote(job.wrapperPath)}`,
    '',
  ].join('\n');
};

/** The job id qsub prints: `<sequence>.<server>` (arrays `<sequence>[].<server>`), alone on its line. */
export const parsePbsQsubOutput = (stdout: string, stderr: string): Result<string, Failure> => {
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+(?:\[\])?(?:\.[A-Za-z0-9_.-]+)?)\s*$/.exec(line);
    if (match !== null) return ok(match[1]!);
  }
  return fail(submitFailed('qsub', stdout, stderr));
};

// ---------------------------------------------------------------- status

const QSTAT_ARGS = ['-x', '-f', '-F', 'json'];

// qstat's line for an id the server does not know (history off, or expired): no record, not a failed query.
const UNKNOWN_JOB = /^qstat: Unknown Job Id /;

interface PbsJob {
  readonly job_state?: unknown;
  readonly Exit_status?: unknown;
  readonly comment?: unknown;
  readonly Variable_List?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '');

const tagOf = (job: PbsJob): string => {
  const variables = job.Variable_List;
  return typeof variables === 'object' && variables !== null ? text((variables as Record<string, unknown>)[PBS_TAG_VARIABLE]) : '';
};

/** A finished job's state and exit, from Exit_status. */
const finished = (exitStatus: number | undefined): Pick<JobStatus, 'state' | 'exitCode' | 'signal'> => {
  if (exitStatus === undefined) return { state: 'unknown' };
  if (exitStatus === 0) return { state: 'succeeded', exitCode: 0 };
  if (exitStatus === KILLED_FOR_WALLTIME) return { state: 'timeout', exitCode: exitStatus };
  if (exitStatus > SIGNAL_BASE) return { state: 'failed', exitCode: exitStatus, signal: exitStatus - SIGNAL_BASE };
  return { state: 'failed', exitCode: exitStatus };
};

const jobStatus = (jobId: string, job: PbsJob): JobStatus | undefined => {
  const native = text(job.job_state);
  if (native === '') return undefined;
  const listed = PBS_STATES[native] ?? 'unknown';
  const exitText = text(job.Exit_status);
  const exitStatus = /^-?\d+$/.test(exitText) ? Number(exitText) : undefined;
  const outcome = listed === 'succeeded' ? finished(exitStatus) : { state: listed };
  const reason = exitStatus !== undefined && exitStatus < 0 ? EXEC_FAILURES[exitStatus] ?? text(job.comment) : text(job.comment);
  return { jobId, native, ...outcome, ...(reason === '' ? {} : { reason }) };
};

/**
 * `qstat -x -f -F json` output: `{"Jobs": {"<id>": {...}}}`. Ids the server
 * does not know give `qstat: Unknown Job Id <id>` on stderr: they are left
 * out of the map, not a failure. With `ctx`, jobs of another run are left out.
 */
export const parsePbsQstatJson = (stdout: string, stderr: string, exitCode: number, ctx?: QueryContext): Result<Map<string, JobStatus>, Failure> => {
  const unexplained = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !UNKNOWN_JOB.test(line));
  if (exitCode !== 0 && unexplained.length > 0) return fail(queryFailed('qstat', exitCode, stdout, stderr));
  const statuses = new Map<string, JobStatus>();
  if (stdout.trim() === '') return ok(statuses);
  let jobs: unknown;
  try {
    jobs = (JSON.parse(stdout) as { Jobs?: unknown }).Jobs ?? {};
  } catch {
    return fail(unreadableOutput('qstat -F json', 'invalid JSON', stdout));
  }
  if (typeof jobs !== 'object' || jobs === null || Array.isArray(jobs)) return fail(unreadableOutput('qstat -F json', 'Jobs is not an object', stdout));
  for (const [jobId, job] of Object.entries(jobs as Record<string, unknown>)) {
    if (typeof job !== 'object' || job === null) continue;
    const tagged = parseTaggedText(tagOf(job as PbsJob));
    if (ctx !== undefined && tagged.runTag !== tagSafe(ctx.runTag)) continue;
    const status = jobStatus(jobId, job as PbsJob);
    if (status !== undefined) statuses.set(jobId, tagged.taskKey === undefined ? status : { ...status, taskKey: tagged.taskKey });
  }
  return ok(statuses);
};

// ---------------------------------------------------------------- detection

/** `qstat --version`: PBS Professional and OpenPBS answer `pbs_version = 2022.1.1`. */
export const pbsProbeCommand = (bin: BinaryLookup): Command => command(bin, 'qstat', ['--version']);

/** Whether `qstat --version` came from PBS Professional / OpenPBS rather than Grid Engine, Torque or a Slurm wrapper. */
export const isPbsVersion = (stdout: string): boolean => /^\s*pbs_version\s*=\s*\S/m.test(stdout);

// ---------------------------------------------------------------- adapter

export const createPbsAdapter = (): BatchAdapter => ({
  name: 'pbs',
  submitFiles: (job: JobSpec): JobFile[] => [{ path: scriptPath(job), content: renderPbsScript(job), mode: 0o755 }],
  submitCommand: (job, bin) => command(bin, 'qsub', [...pbsQsubOptions(job), scriptPath(job)], job.taskFileDir),
  parseSubmitOutput: parsePbsQsubOutput,
  statusCommands: (ctx, bin) => chunk(ctx.jobIds).map((ids) => command(bin, 'qstat', [...QSTAT_ARGS, ...ids])),
  // Every job the server shows; the parser keeps those whose environment list carries the tag.
  taggedJobsCommand: (_ctx, bin) => command(bin, 'qstat', QSTAT_ARGS),
  parseStatusOutput: parsePbsQstatJson,
  killCommands: (jobIds, bin) => chunk(jobIds).map((ids) => command(bin, 'qdel', ids)),
});

export const PBS: BatchSystem<'pbs'> = {
  name: 'pbs',
  aliases: ['pbspro', 'openpbs'],
  // Grid Engine and Slurm's wrappers have a qsub too.
  detection: { binary: 'qsub', probe: { command: pbsProbeCommand, recognises: isPbsVersion }, described: 'a PBS qsub' },
  settingsDescription: 'extra qsub options for PBS: {"l": "place=excl"} gives -l place=excl, {"A": "proj"} gives -A proj',
  settings: [],
  create: createPbsAdapter,
};
