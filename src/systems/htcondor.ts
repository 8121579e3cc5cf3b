/**
 * HTCondor: a submit description (templates/htcondor.submit) submitted with
 * condor_submit; one `condor_q -json` for every live job of the run, found by
 * a custom job attribute holding the run tag; `condor_history -json` for jobs
 * that left the queue. Job ids are `<cluster>.<proc>`; b2 queues one proc per
 * cluster, so they end in `.0`.
 *
 * Jobs ready at the same moment go out in one condor_submit: a description
 * with one block and `queue` per job. The executable (each job's wrapper)
 * changes from block to block, so each job is its own cluster, as it is when
 * submitted alone; `-terse` prints one `C.0 - C.0` line per cluster, in order.
 * Commands carry over from one block to the next, so only jobs that set the
 * same commands share a description.
 *
 * The walltime is enforced by a periodic_remove policy on the attribute
 * B2WalltimeLimit; a RemoveReason naming that attribute means "timed out"
 * (HTCondor's default reason quotes the expression, and PeriodicRemoveReason
 * replaces it where supported; both name the attribute).
 */
import { ok, fail, type Failure, type Result } from '../errors.js';
import { loadTemplate, renderTemplate } from '../wrapper/render.js';
import { mergeOptions, type OptionSyntax } from './options.js';
import { badSettings, checkResources, chunk, command, queryFailed, rejectLineBreaks, submitFailed, unreadableOutput } from './resources.js';
import { arrayScriptFile, arrayShape, elementIdReader } from './array-parts.js';
import type { ArrayRequest, ArraySubmission, BatchAdapter, BatchSystem, BinaryLookup, Command, JobFile, JobSpec, JobState, JobStatus, QueryContext } from './contract.js';

export const HTCONDOR_SUBMIT_NAME = 'job.submit';

/** The job attribute holding the run tag. */
export const RUN_TAG_ATTRIBUTE = 'B2RunTag';
/** The job attribute holding the task's key (task-key.ts). */
export const TASK_KEY_ATTRIBUTE = 'B2TaskKey';
/** The job attribute holding the walltime in seconds, named by the periodic_remove policy. */
export const WALLTIME_ATTRIBUTE = 'B2WalltimeLimit';

/** JobStatus codes (HTCondor manual, "Job Status Codes"). */
export const HTCONDOR_STATES: Readonly<Record<number, JobState>> = {
  1: 'pending', // Idle: waiting for a match
  2: 'running', // Running
  3: 'cancelled', // Removed: condor_rm, or a periodic_remove policy (ours means timeout)
  4: 'succeeded', // Completed: refined by ExitBySignal and ExitCode
  5: 'held', // Held: waits for condor_release; HoldReason says why
  6: 'running', // Transferring output back to the submit side
  7: 'running', // Suspended while running
};

// ---------------------------------------------------------------- submission

// What condor_submit's reader trims from each line and value: C isspace(), ASCII only.
const EDGE_BLANKS = /^[ \t\v\f]|[ \t\v\f]$/;

/**
 * A value condor_submit reads back as written: on one line, not ending in a
 * backslash (it trims the line, then joins one ending in `\` with the next:
 * the following command, or `queue`, would be lost), and without blanks at
 * either end (trimmed). There is no escape for either, so such a value is
 * refused.
 */
const checkLine = (what: string, value: string): void => {
  rejectLineBreaks(what, value);
  if (/\\[ \t\v\f]*$/.test(value)) {
    throw badSettings(
      `${what} ${JSON.stringify(value)} ends with a backslash, which condor_submit reads as joining the next line of the submit description`,
      'remove the trailing backslash',
    );
  }
  if (EDGE_BLANKS.test(value)) {
    throw badSettings(`${what} ${JSON.stringify(value)} starts or ends with blanks, which condor_submit drops`, 'remove the blanks at either end');
  }
};

/** A literal value in a submit description, with `$` kept from macro expansion. */
const literal = (what: string, value: string): string => {
  checkLine(what, value);
  // The schedd replaces $$(Attr) in job attributes with the matched machine's attribute; no escape exists.
  if (value.includes('$$(')) {
    throw badSettings(`${what} ${JSON.stringify(value)} contains "$$(", which HTCondor replaces with a machine attribute when the job is matched`);
  }
  return value.replace(/\$/g, '$(DOLLAR)');
};

/** A ClassAd string literal, for `+Attr = "..."`. */
export const classAdString = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

// transfer_input_files is a list split on commas and blanks.
const transferList = (paths: readonly string[]): string =>
  paths
    .map((path) => {
      if (/[,\s]/.test(path)) throw badSettings(`transfer file ${JSON.stringify(path)} contains a comma or a blank, which HTCondor's file list cannot hold`);
      return literal('transfer file', path);
    })
    .join(',');

// Submit keys are case-insensitive, and `+Attr` is `MY.Attr`.
const keyId = (key: string): string => key.toLowerCase().replace(/^\+/, 'my.');

// What b2 relies on: the tag that finds the run's jobs, and exactly one proc per submission.
const RESERVED = new Set([keyId(`+${RUN_TAG_ATTRIBUTE}`), keyId(`+${TASK_KEY_ATTRIBUTE}`), 'queue']);

type Entry = readonly [key: string, value: string];

const generatedEntries = (job: JobSpec): Entry[] => {
  const resources = checkResources(job.resources);
  const entries: Entry[] = [
    ['output', literal('stdout path', job.stdoutPath)],
    ['error', literal('stderr path', job.stderrPath)],
    ['log', literal('job log path', job.jobLogPath)],
    ['executable', literal('job wrapper path', job.wrapperPath)],
    ['universe', 'vanilla'],
    ['batch_name', literal('job name', job.jobName)],
    [`+${RUN_TAG_ATTRIBUTE}`, literal('run tag', classAdString(job.runTag))],
    [`+${TASK_KEY_ATTRIBUTE}`, literal('task key', classAdString(job.taskKey))],
  ];
  if (resources.cpus !== undefined) entries.push(['request_cpus', String(resources.cpus)]);
  if (resources.memoryMb !== undefined) entries.push(['request_memory', String(resources.memoryMb)]);
  if (resources.walltimeSeconds !== undefined) {
    const limit = resources.walltimeSeconds;
    entries.push(
      [`+${WALLTIME_ATTRIBUTE}`, String(limit)],
      ['periodic_remove', `(JobStatus == 2) && (time() - JobCurrentStartDate > ${WALLTIME_ATTRIBUTE})`],
      ['+PeriodicRemoveReason', classAdString(`walltime limit exceeded (${WALLTIME_ATTRIBUTE} = ${limit} s)`)],
    );
  }
  // As b2luigi: file transfer only when transfer files are given, then with the env script.
  if (job.transferFiles.length > 0) {
    const files = [...new Set([...job.transferFiles, ...(job.envScript === undefined ? [] : [job.envScript])])];
    entries.push(['should_transfer_files', 'YES'], ['when_to_transfer_output', 'ON_EXIT'], ['transfer_input_files', transferList(files)]);
  }
  return entries;
};

const settingText = (key: string, value: string | number | boolean): string => {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  const text = String(value);
  checkLine(`htcondor_settings ${key}`, text);
  return text;
};

const HTCONDOR_SYNTAX: OptionSyntax = {
  setting: 'htcondor_settings',
  checkKey: (key) => {
    if (!/^(?:\+|MY\.)?[A-Za-z_][A-Za-z0-9_.]*$/i.test(key)) {
      throw badSettings(`htcondor_settings key ${JSON.stringify(key)} is not a submit command`);
    }
  },
  reserved: (key) =>
    RESERVED.has(keyId(key))
      ? { message: `htcondor_settings must not set "${key}"`, hint: `b2 submits one job per task and finds the jobs of a run by ${RUN_TAG_ATTRIBUTE}` }
      : undefined,
  identity: ([key]) => keyId(key),
  // Values are written as given: settings are HTCondor syntax ($(Cluster), expressions, ...); false is False, not a removal.
  fromSetting: (key, value) => [[key, settingText(key, value)]],
};

/** Generated commands, each replaced in place by a setting with the same key; new settings follow. */
const mergeSettings = (generated: Entry[], settings: JobSpec['systemSettings']): Entry[] =>
  mergeOptions(generated, settings, HTCONDOR_SYNTAX).map(([key, value]): Entry => [key, value === true ? 'True' : value]);

const commandLines = (entries: readonly Entry[]): string => entries.map(([key, value]) => `${key} = ${value}`).join('\n');

/** The submit description's text. */
export const renderSubmitDescription = (job: JobSpec): string =>
  renderTemplate(loadTemplate('htcondor.submit'), { commands: commandLines(mergeSettings(generatedEntries(job), job.systemSettings)) });

// Alone, condor_submit runs in the task's folder; in a group, initialdir gives each job that folder back.
const INITIAL_DIR_KEYS = new Set(['initialdir', 'initial_dir', 'iwd']);

const groupEntries = (job: JobSpec): Entry[] => [
  ...mergeSettings(generatedEntries(job), job.systemSettings),
  ['initialdir', literal('task file folder', job.taskFileDir)],
];

/**
 * Jobs with equal keys set the same commands and may share a description.
 * Undefined (submit alone) for a job that sets its own initialdir, or whose
 * description cannot be written (submitted alone, it fails with the reason).
 */
export const submitGroupKey = (job: JobSpec): string | undefined => {
  let entries: Entry[];
  try {
    entries = mergeSettings(generatedEntries(job), job.systemSettings);
  } catch {
    return undefined;
  }
  const keys = entries.map(([key]) => keyId(key));
  if (keys.some((key) => INITIAL_DIR_KEYS.has(key))) return undefined;
  return keys.sort().join('\n');
};

/** One description for several jobs: a block per job, each its own cluster. */
export const renderGroupDescription = (jobs: readonly JobSpec[]): string =>
  renderTemplate(loadTemplate('htcondor-group.submit'), {
    count: String(jobs.length),
    blocks: jobs.map((job) => `${commandLines(groupEntries(job))}\nqueue 1`).join('\n\n'),
  });

const range = (cluster: string, first: number, last: number): string[] =>
  Array.from({ length: Math.max(0, last - first + 1) }, (_, offset) => `${cluster}.${first + offset}`);

/**
 * Every job id condor_submit printed, in order: `N job(s) submitted to
 * cluster C.` lines give C.0 to C.(N-1), `-terse` lines `C.P - C.Q` give C.P
 * to C.Q.
 */
export const parseCondorSubmitIds = (stdout: string, stderr: string): Result<string[], Failure> => {
  const ids: string[] = [];
  for (const line of stdout.split('\n')) {
    const normal = /^(\d+) job\(s\) submitted to cluster (\d+)\.\s*$/.exec(line);
    if (normal !== null) ids.push(...range(normal[2]!, 0, Number(normal[1]) - 1));
    const terse = /^(\d+)\.(\d+) - (\d+)\.(\d+)\s*$/.exec(line);
    if (terse !== null && terse[1] === terse[3]) ids.push(...range(terse[1]!, Number(terse[2]), Number(terse[4])));
  }
  return ids.length > 0 ? ok(ids) : fail(submitFailed('condor_submit', stdout, stderr));
};

/** The job id from condor_submit: `1 job(s) submitted to cluster 6.` gives `6.0`; `-terse` output `6.0 - 6.0` is read too. */
export const parseCondorSubmitOutput = (stdout: string, stderr: string): Result<string, Failure> => {
  const ids = parseCondorSubmitIds(stdout, stderr);
  return ids.ok ? ok(ids.value[0]!) : ids;
};

// ---------------------------------------------------------------- status

const ATTRIBUTES = [
  'ClusterId',
  'ProcId',
  'JobStatus',
  'ExitCode',
  'ExitBySignal',
  'ExitSignal',
  'HoldReason',
  'HoldReasonCode',
  'RemoveReason',
  RUN_TAG_ATTRIBUTE,
  TASK_KEY_ATTRIBUTE,
].join(',');

const tagConstraint = (runTag: string): string => `${RUN_TAG_ATTRIBUTE} == ${classAdString(runTag)}`;

/** The cluster of a `C.P` id. */
const clusterOf = (jobId: string): string => jobId.split('.')[0]!;

/** One condor_history for a chunk of ids: the run's tag and their clusters. */
const historyCommand = (jobIds: readonly string[], ctx: QueryContext, bin: BinaryLookup): Command => {
  const clusters = [...new Set(jobIds.map(clusterOf))].filter((cluster) => /^\d+$/.test(cluster));
  const anyCluster = clusters.map((cluster) => `ClusterId == ${cluster}`).join(' || ');
  // -match stops reading the history file once every job is found (it is read newest first).
  return command(bin, 'condor_history', [
    '-json',
    '-attributes',
    ATTRIBUTES,
    '-constraint',
    `${tagConstraint(ctx.runTag)} && (${anyCluster})`,
    '-match',
    String(jobIds.length),
  ]);
};

interface JobAd {
  readonly ClusterId?: unknown;
  readonly ProcId?: unknown;
  readonly JobStatus?: unknown;
  readonly ExitCode?: unknown;
  readonly ExitBySignal?: unknown;
  readonly ExitSignal?: unknown;
  readonly HoldReason?: unknown;
  readonly HoldReasonCode?: unknown;
  readonly RemoveReason?: unknown;
  readonly B2RunTag?: unknown;
  readonly B2TaskKey?: unknown;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

const withReason = (reason: string | undefined): { reason?: string } => (reason === undefined ? {} : { reason });

/** The ad's status with the task key its job carries, if any. */
const withTaskKey = (ad: JobAd, status: JobStatus | undefined): JobStatus | undefined => {
  const key = str(ad.B2TaskKey);
  return status === undefined || key === undefined ? status : { ...status, taskKey: key };
};

/** One job ad's status; undefined for an ad without ids or JobStatus. */
export const adStatus = (ad: JobAd): JobStatus | undefined => {
  const cluster = num(ad.ClusterId);
  const code = num(ad.JobStatus);
  if (cluster === undefined || code === undefined) return undefined;
  const jobId = `${cluster}.${num(ad.ProcId) ?? 0}`;
  const native = String(code);
  const state = HTCONDOR_STATES[code] ?? 'unknown';
  switch (state) {
    case 'held':
      return { jobId, state, native, ...withReason(str(ad.HoldReason)) };
    case 'cancelled': {
      const reason = str(ad.RemoveReason);
      const timedOut = reason !== undefined && reason.includes(WALLTIME_ATTRIBUTE);
      return { jobId, state: timedOut ? 'timeout' : 'cancelled', native, ...withReason(reason) };
    }
    case 'succeeded': {
      const signal = num(ad.ExitSignal);
      if (ad.ExitBySignal === true) {
        return { jobId, state: 'failed', native, ...(signal === undefined ? {} : { signal, reason: `killed by signal ${signal}` }) };
      }
      const exitCode = num(ad.ExitCode);
      if (exitCode === 0) return { jobId, state, native, exitCode };
      return { jobId, state: 'failed', native, ...(exitCode === undefined ? { reason: 'completed without an exit code' } : { exitCode }) };
    }
    default:
      return { jobId, state, native };
  }
};

const parseAds = (
  program: string,
  stdout: string,
  stderr: string,
  exitCode: number,
  ctx: QueryContext | undefined,
): Result<Map<string, JobStatus>, Failure> => {
  if (exitCode !== 0) return fail(queryFailed(program, exitCode, stdout, stderr));
  const statuses = new Map<string, JobStatus>();
  // condor_q prints nothing at all when no job matches (condor_history prints `[]`).
  if (stdout.trim() === '') return ok(statuses);
  let ads: unknown;
  try {
    ads = JSON.parse(stdout);
  } catch {
    return fail(unreadableOutput(`${program} -json`, 'invalid JSON', stdout));
  }
  if (!Array.isArray(ads)) return fail(unreadableOutput(`${program} -json`, 'not a list of job ads', stdout));
  for (const ad of ads as JobAd[]) {
    if (typeof ad !== 'object' || ad === null) continue;
    if (ctx !== undefined && ad.B2RunTag !== ctx.runTag) continue;
    const status = withTaskKey(ad, adStatus(ad));
    if (status !== undefined) statuses.set(status.jobId, status);
  }
  return ok(statuses);
};

export const parseCondorQOutput = (stdout: string, stderr: string, exitCode: number, ctx?: QueryContext) =>
  parseAds('condor_q', stdout, stderr, exitCode, ctx);

export const parseCondorHistoryOutput = (stdout: string, stderr: string, exitCode: number, ctx?: QueryContext) =>
  parseAds('condor_history', stdout, stderr, exitCode, ctx);

// ---------------------------------------------------------------- arrays

// An array is one cluster: b2 sets what each proc runs, and how many enter the queue at once.
const ARRAY_RESERVED = new Set(['executable', 'arguments', 'max_materialize', 'max_idle', 'initialdir', 'initial_dir', 'iwd']);

const HTCONDOR_ARRAY_SYNTAX: OptionSyntax = {
  ...HTCONDOR_SYNTAX,
  reserved: (key, name) =>
    ARRAY_RESERVED.has(keyId(key))
      ? { message: `htcondor_settings must not set "${key}" while tasks go out as arrays`, hint: 'remove it, or set array to false for these tasks' }
      : HTCONDOR_SYNTAX.reserved?.(key, name),
};

/**
 * The description of one array: a cluster of `size` procs running the
 * array script with their ProcId, `slots` of them in the queue at once
 * (max_materialize); the array script opens each task's logs.
 */
export const renderArrayDescription = (job: JobSpec, arrayKey: string, size: number, slots: number, script: string, log: string): string => {
  const generated = generatedEntries({ ...job, stdoutPath: '/dev/null', stderrPath: '/dev/null', jobLogPath: log, wrapperPath: script, taskKey: arrayKey });
  const entries = mergeOptions(generated, job.systemSettings, HTCONDOR_ARRAY_SYNTAX).map(([key, value]): Entry => [key, value === true ? 'True' : value]);
  entries.push(['arguments', '$(ProcId)']);
  if (slots < size) entries.push(['max_materialize', String(slots)]);
  return `# b2 array for HTCondor: ${size} procs of one cluster, written by src/systems/htcondor.ts and\n# submitted with condor_submit -terse; each proc runs the array script with its ProcId.\n${commandLines(entries)}\nqueue ${size}\n`;
};

export const htcondorArray: ArraySubmission = {
  // Transferred files land in each job's sandbox, where the array script and other tasks' wrappers are not.
  accepts: (job) => job.transferFiles.length === 0,
  groupKey: (job) => renderArrayDescription(job, '0'.repeat(12), 2, 1, '/', '/'),
  submission: (request: ArrayRequest, bin: BinaryLookup) => {
    const shape = arrayShape(request);
    const description = `${request.dir}/${request.name}.submit`;
    // ProcId counts from 0, elements from 1.
    const script = arrayScriptFile(request, shape, { index: '"$(( ${1:?} + 1 ))"', appendLogs: false, command: ['condor_submit', '-terse', description] });
    return {
      files: [
        script,
        { path: description, content: renderArrayDescription(request.options, request.arrayKey, shape.size, shape.slots, shape.script, `${request.dir}/${request.name}.log`) },
      ],
      command: command(bin, 'condor_submit', ['-terse', `${request.name}.submit`], request.dir),
    };
  },
  parseArrayId: (stdout, stderr) => {
    const ids = parseCondorSubmitIds(stdout, stderr);
    if (!ids.ok) return ids;
    const cluster = ids.value[0]?.split('.')[0];
    return cluster === undefined ? fail(submitFailed('condor_submit', stdout, stderr)) : ok(cluster);
  },
  elementId: (arrayId, index) => `${arrayId}.${index - 1}`,
  elementOf: elementIdReader(/^(\d+)\.(\d+)$/, 0),
};

// ---------------------------------------------------------------- adapter

const submitPath = (job: JobSpec): string => `${job.taskFileDir}/${HTCONDOR_SUBMIT_NAME}`;

export const createHtcondorAdapter = (): BatchAdapter => ({
  name: 'htcondor',
  submitFiles: (job: JobSpec): JobFile[] => [{ path: submitPath(job), content: renderSubmitDescription(job) }],
  submitCommand: (job, bin) => command(bin, 'condor_submit', [HTCONDOR_SUBMIT_NAME], job.taskFileDir),
  parseSubmitOutput: parseCondorSubmitOutput,
  grouped: {
    groupKey: submitGroupKey,
    submission: (jobs, dir, name, bin) => ({
      files: [{ path: `${dir}/${name}.submit`, content: renderGroupDescription(jobs) }],
      command: command(bin, 'condor_submit', ['-terse', `${name}.submit`], dir),
    }),
    parseSubmitIds: parseCondorSubmitIds,
  },
  statusCommands: (ctx, bin) => [command(bin, 'condor_q', ['-json', '-attributes', ATTRIBUTES, '-constraint', tagConstraint(ctx.runTag)])],
  // The live query already asks by tag.
  taggedJobsCommand: (ctx, bin) =>
    command(bin, 'condor_q', ['-json', '-attributes', ATTRIBUTES, '-constraint', tagConstraint(ctx.runTag)]),
  parseStatusOutput: parseCondorQOutput,
  historyCommands: (jobIds, ctx, bin) => chunk(jobIds).map((ids) => historyCommand(ids, ctx, bin)),
  parseHistoryOutput: parseCondorHistoryOutput,
  killCommands: (jobIds, bin) => chunk(jobIds).map((ids) => command(bin, 'condor_rm', ids)),
  array: htcondorArray,
});

export const HTCONDOR: BatchSystem<'htcondor'> = {
  name: 'htcondor',
  aliases: ['condor'],
  detection: { binary: 'condor_submit', described: 'condor_submit' },
  settingsDescription: 'extra submit-description lines; they override generated ones',
  settings: [],
  create: createHtcondorAdapter,
};
