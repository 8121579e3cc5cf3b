/**
 * Grid Engine (Son of Grid Engine, Univa/Altair, Open Grid Scheduler): a
 * script (templates/sge.sh) submitted with `qsub -terse`, every option on
 * qsub's command line; `qstat -xml -u <user>` for queued and running jobs; `qacct`
 * for jobs that left qstat.
 *
 * The run tag travels in the job name, `b2-<tag>-<job name>`: qstat and qacct
 * both show it, and `qacct -j 'b2-<tag>-*'` finds every finished job of a run
 * in one scan of the accounting file.
 *
 * Never `qsub -b y`: it passes the command through a shell a second time.
 * No `-V` either: the job wrapper sets up the environment.
 */
import { ok, fail, type Failure, type Result } from '../errors.js';
import { shellJoin, shellQuote } from '../wrapper/quote.js';
import { loadTemplate, renderTemplate } from '../wrapper/render.js';
import { mergeOptions, systemOption, type Option, type OptionSyntax } from './options.js';
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
  unreadableOutput,
} from './resources.js';
import { arrayScriptFile, arrayShape, elementIdReader } from './array-parts.js';
import { parseSgeLimits } from './limits.js';
import type { ArrayRequest, ArraySubmission, BatchAdapter, BatchSystem, BinaryLookup, Command, JobFile, JobSpec, JobState, JobStatus, QueryContext } from './contract.js';

/** The parallel environment multi-core jobs ask for (`-pe <name> <cpus>`); sites name theirs differently. */
const PARALLEL_ENVIRONMENT_SETTING = 'sge_parallel_environment';
const DEFAULT_PARALLEL_ENVIRONMENT = 'smp';
const MEMORY_RESOURCE_SETTING = 'sge_memory_resource';

export const SGE_SCRIPT_NAME = 'sge_job.sh';

/**
 * qstat state codes, from qstat(1) "state" for Son of Grid Engine 8.1.
 * Letters combine: E error, h hold, q queued, w waiting, r running,
 * R restarted, t transferring, s/S/T suspended (job/queue/threshold),
 * d being deleted.
 */
export const SGE_STATES: Readonly<Record<string, JobState>> = {
  qw: 'pending', // queued, waiting to be scheduled
  // Held by a user, operator or the system (qsub -h, qhold), or waiting for -hold_jid jobs, which
  // b2 does not use (it submits a task once its requirements are done): waits for qrls.
  hqw: 'held',
  hRwq: 'held', // restarted, then held while waiting
  r: 'running', // running
  t: 'running', // being transferred to its execution host
  Rr: 'running', // restarted and running again
  Rt: 'running', // restarted, being transferred
  s: 'running', // suspended by qmod -sj; resumes when unsuspended
  ts: 'running', // suspended while being transferred
  S: 'running', // its queue is suspended
  tS: 'running', // queue suspended while being transferred
  T: 'running', // its queue passed a suspend threshold
  tT: 'running', // threshold reached while being transferred
  Rs: 'running', // restarted, then suspended
  Rts: 'running', // restarted, suspended while being transferred
  RS: 'running', // restarted, queue suspended
  RtS: 'running', // restarted, queue suspended while being transferred
  RT: 'running', // restarted, queue threshold reached
  RtT: 'running', // restarted, threshold reached while being transferred
  Eqw: 'held', // error: could not start (unwritable -o path, job exited 100); waits for qmod -cj or qdel
  Ehqw: 'held', // error and held
  EhRqw: 'held', // error, held, restarted
  dr: 'running', // running, being deleted (qacct tells how it ended)
  dt: 'running', // being transferred, being deleted
  dRr: 'running', // restarted and running, being deleted
  dRt: 'running', // restarted, transferring, being deleted
  ds: 'running', // suspended, being deleted
  dS: 'running', // queue suspended, being deleted
  dT: 'running', // threshold reached, being deleted
  dRs: 'running', // restarted, suspended, being deleted
  dRS: 'running', // restarted, queue suspended, being deleted
  dRT: 'running', // restarted, threshold reached, being deleted
};

/** A state code; combinations qstat(1) does not list are read letter by letter. */
export const sgeState = (code: string): JobState => {
  const listed = SGE_STATES[code];
  if (listed !== undefined) return listed;
  if (code.includes('E')) return 'held';
  if (/[rtsST]/.test(code)) return 'running';
  if (code.includes('h')) return 'held';
  if (/[qw]/.test(code)) return 'pending';
  return 'unknown';
};

// ---------------------------------------------------------------- submission

// Grid Engine object names: no / : @ \ * ? or whitespace, and no leading digit.
// The b2- prefix takes care of the digit; everything unusual becomes _.
const nameSafe = (text: string): string => text.replace(/[^A-Za-z0-9_.-]/g, '_');

/** The job name carrying the run tag and the task key (hex): `b2-<tag>-<key>-<job name>`. */
export const sgeJobName = (runTag: string, taskKey: string, jobName: string): string => `b2-${nameSafe(runTag)}-${nameSafe(taskKey)}-${nameSafe(jobName)}`;

const namePrefix = (runTag: string): string => `b2-${nameSafe(runTag)}-`;

/** The task key in a job name of the run (after the prefix); none in names of an older b2. */
const taskKeyIn = (name: string, runTag: string): { taskKey?: string } => {
  const match = /^([0-9a-f]{12})-/.exec(name.slice(namePrefix(runTag).length));
  return match === null ? {} : { taskKey: match[1]! };
};

// Options b2 relies on: the name carries the run tag; -b y would run the script path as a shell command line.
const RESERVED: Readonly<Record<string, string>> = {
  N: 'b2 puts the run tag in the job name; use the job_name setting to name jobs',
  b: 'b2 submits a script; binary mode would pass the command through a shell again',
};

/**
 * The resource `memory` is asked for by default. mem_free is defined on every
 * Grid Engine and requestable out of the box: the job goes to a host with that
 * much memory free (and where a site makes it consumable, it is booked). It
 * sets no limit on the job's address space, as h_vmem does: Node reserves far
 * more address space than it uses, and under an h_vmem of some hundred MB it
 * cannot even start. h_rss would set RLIMIT_RSS, which Linux ignores.
 */
export const DEFAULT_SGE_MEMORY_RESOURCE = 'mem_free';

// Resource limits on the address space or data segment: Node cannot start under small ones.
const ADDRESS_SPACE_LIMITS = new Set(['h_vmem', 's_vmem', 'h_data', 's_data']);

const memoryResource = (job: JobSpec): string => {
  const name = systemOption(job, MEMORY_RESOURCE_SETTING, DEFAULT_SGE_MEMORY_RESOURCE);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    throw badSettings(`sge_memory_resource ${JSON.stringify(name)} is not a Grid Engine resource name`, 'use a name from `qconf -sc`, e.g. "mem_free" or "h_vmem"');
  }
  return name;
};

// A parallel environment name goes to qsub as one word of `-pe <name> <slots>`.
const parallelEnvironment = (job: JobSpec): string => {
  const name = systemOption(job, PARALLEL_ENVIRONMENT_SETTING, DEFAULT_PARALLEL_ENVIRONMENT);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
    throw badSettings(`sge_parallel_environment ${JSON.stringify(name)} is not a Grid Engine parallel environment name`, 'use a name from `qconf -spl`, e.g. "smp"');
  }
  return name;
};

/** `-l` resources, one option each, so that a setting replaces one resource and keeps the others. */
const resourceList = (text: string): Option[] =>
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): Option => ['l', entry]);

// A `-l` option is known by its resource's name.
const optionIdentity = ([key, value]: Option): string => (key === 'l' && value !== true ? `l:${value.split('=')[0]!}` : key);

// Grid Engine expands $HOME, $JOB_ID, $USER, ... in -o, -e and -wd paths and reads
// `host:path,...` lists there, with no escape: no path b2 names carries a value.
// Its own streams go nowhere (the script opens the task's logs); the job starts in /,
// which every host has, and the wrapper changes to working_dir.
const generatedOptions = (job: JobSpec): Option[] => {
  const resources = checkResources(job.resources);
  const options: Option[] = [
    ['C', ''],
    ['N', sgeJobName(job.runTag, job.taskKey, job.jobName)],
    ['o', '/dev/null'],
    ['e', '/dev/null'],
    ['wd', '/'],
    ['S', '/bin/bash'],
  ];
  const slots = resources.cpus ?? 1;
  if (slots > 1) options.push(['pe', `${parallelEnvironment(job)} ${slots}`]);
  if (resources.queue !== undefined) options.push(['q', resources.queue]);
  // Memory resources are per slot: split the job's memory between them.
  if (resources.memoryMb !== undefined) {
    const name = memoryResource(job);
    options.push(['l', `${name}=${Math.ceil(resources.memoryMb / slots)}M`]);
  }
  if (resources.walltimeSeconds !== undefined) options.push(['l', `h_rt=${clockTime(resources.walltimeSeconds)}`]);
  return options;
};

const SGE_SYNTAX: OptionSyntax = {
  setting: 'sge_settings',
  reserved: (key) => {
    const reserved = RESERVED[key];
    return reserved === undefined ? undefined : { message: `sge_settings must not set "${key}"`, hint: reserved };
  },
  identity: optionIdentity,
  fromSetting: (key, value) => {
    if (key === 'l' && typeof value === 'string') return resourceList(value);
    return value === false ? undefined : [[key, value === true ? true : String(value)]];
  },
};

// Resources (-l) go last, after every other option.
const mergeSettings = (job: JobSpec): Option[] => {
  const merged = mergeOptions(generatedOptions(job), job.systemSettings, SGE_SYNTAX);
  return [...merged.filter(([key]) => key !== 'l'), ...merged.filter(([key]) => key === 'l')];
};

/** One option as qsub's argv: the value one element (-pe takes two words, each its own). */
const optionArgs = ([key, value]: Option): string[] => {
  if (value === true) return [`-${key}`];
  // The script shows the command line as a comment: a line break would end it.
  rejectLineBreaks(`sge option -${key}`, value);
  return key === 'pe' ? ['-pe', ...value.trim().split(/\s+/)] : [`-${key}`, value];
};

/**
 * qsub's options, as argv elements. `-C ''` keeps qsub from reading option
 * lines in the script: a `#$` line ends at `#`, so a value with one would
 * lose the rest of its line.
 */
export const qsubOptions = (job: JobSpec): string[] => ['-terse', ...mergeSettings(job).flatMap(optionArgs)];

/**
 * The memory limit the job runs under when it limits the address space
 * (`h_vmem=250M`), of which Node reserves far more than it uses.
 */
export const sgeAddressSpaceLimit = (job: JobSpec): string | undefined =>
  mergeSettings(job)
    .filter(([key]) => key === 'l')
    .map(([, entry]) => String(entry))
    .find((entry) => ADDRESS_SPACE_LIMITS.has(entry.split('=')[0]!.trim()));

// V8 cannot reserve its address space (at start-up), or its heap cannot grow.
const NODE_OUT_OF_MEMORY = /Fatal process (?:OOM|out of memory)|JavaScript heap out of memory/;
// How V8 ends the process when that happens.
const SIGTRAP_STATUS = 128 + 5;
const SIGABRT_STATUS = 128 + 6;

/**
 * Why a job died, when it ran under an address-space limit and died as Node
 * does when that limit is too small (SIGTRAP, or V8's out-of-memory report
 * in its stderr): it exceeded its memory limit, not some signal.
 */
export const explainSgeExit = (job: JobSpec, exitStatus: number, stderrTail: string): string | undefined => {
  const limit = sgeAddressSpaceLimit(job);
  if (limit === undefined) return undefined;
  const reported = NODE_OUT_OF_MEMORY.test(stderrTail);
  if (exitStatus !== SIGTRAP_STATUS && !(reported && (exitStatus === SIGABRT_STATUS || exitStatus < 128))) return undefined;
  return (
    `the job exceeded its memory limit (${limit}): it died ${reported ? 'out of memory' : 'with SIGTRAP'} under this address-space limit, ` +
    'and Node reserves far more address space than it uses; ask for more memory, or let sge_memory_resource be mem_free (the default)'
  );
};

/** The script's text: the task's log files opened with bash quoting, then the wrapper. */
export const renderSgeScript = (job: JobSpec): string => {
  rejectLineBreaksInScriptPaths(job);
  return renderTemplate(loadTemplate('sge.sh'), {
    command: shellJoin(['qsub', ...qsubOptions(job), scriptPath(job)]),
    stdout: shellQuote(job.stdoutPath),
    stderr: shellQuote(job.stderrPath),
    wrapper: shellQuote(job.wrapperPath),
  });
};

const scriptPath = (job: JobSpec): string => `${job.taskFileDir}/${SGE_SCRIPT_NAME}`;

/** The job id `qsub -terse` printed (`123`, arrays `123.1-10:1`); also reads the plain `Your job 123 (...) has been submitted`. */
export const parseQsubOutput = (stdout: string, stderr: string): Result<string, Failure> => {
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+)(?:\.\S+)?\s*$/.exec(line) ?? /^Your job(?:-array)? (\d+)/.exec(line);
    if (match !== null) return ok(match[1]!);
  }
  return fail(submitFailed('qsub', stdout, stderr));
};

// ---------------------------------------------------------------- arrays

// Options b2 sets for an array itself.
const ARRAY_RESERVED: Readonly<Record<string, string>> = {
  t: 'b2 numbers the tasks of an array itself; remove it, or set array to false for these tasks',
  tc: 'b2 sets -tc from workers; remove it, or set array to false for these tasks',
};

const SGE_ARRAY_SYNTAX: OptionSyntax = {
  ...SGE_SYNTAX,
  reserved: (key, name) => {
    const reserved = ARRAY_RESERVED[key];
    return reserved === undefined ? SGE_SYNTAX.reserved?.(key, name) : { message: `sge_settings must not set "${name}" while tasks go out as arrays`, hint: reserved };
  },
};

/** qsub's options for an array of `size` tasks, `slots` of them running at once; the name carries the array's key. */
export const qsubArrayOptions = (job: JobSpec, arrayKey: string, size: number, slots: number): string[] => {
  const merged = mergeOptions(generatedOptions({ ...job, taskKey: arrayKey }), job.systemSettings, SGE_ARRAY_SYNTAX);
  const ordered = [...merged.filter(([key]) => key !== 'l'), ...merged.filter(([key]) => key === 'l')];
  return ['-terse', '-t', `1-${size}`, ...(slots < size ? ['-tc', String(slots)] : []), ...ordered.flatMap(optionArgs)];
};

export const sgeArray: ArraySubmission = {
  groupKey: (job) => JSON.stringify(qsubArrayOptions(job, '0'.repeat(12), 1, 1)),
  submission: (request: ArrayRequest, bin: BinaryLookup) => {
    const shape = arrayShape(request);
    const argv = [...qsubArrayOptions(request.options, request.arrayKey, shape.size, shape.slots), shape.script];
    // Grid Engine appends to -o/-e files; a retry's log follows the last.
    const script = arrayScriptFile(request, shape, { index: '"${SGE_TASK_ID:-}"', appendLogs: true, command: ['qsub', ...argv] });
    return { files: [script], command: command(bin, 'qsub', argv, request.dir) };
  },
  parseArrayId: parseQsubOutput,
  elementId: (arrayId, index) => `${arrayId}.${index}`,
  elementOf: elementIdReader(/^(\d+)\.(\d+)$/),
  limits: { command: (bin) => command(bin, 'qconf', ['-sconf']), parse: parseSgeLimits },
};

/** The task numbers of qstat's `<tasks>`: `5`, `3-6:1`, or a list of those (`1,4-8:2`). */
export const sgeTaskNumbers = (text: string): number[] => {
  const numbers: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)(?:-(\d+)(?::(\d+))?)?\s*$/.exec(part);
    if (match === null) continue;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    const step = Math.max(1, Number(match[3] ?? 1));
    for (let n = first; n <= last; n += step) numbers.push(n);
  }
  return numbers;
};

// ---------------------------------------------------------------- live queue

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const decodeXml = (text: string): string =>
  text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (entity, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
    return XML_ENTITIES[body] ?? entity;
  });

// qstat -xml is flat: <job_list> elements holding simple <name>text</name> children.
const xmlChild = (element: string, name: string): string | undefined => {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(element);
  return match === null ? undefined : decodeXml(match[1]!.trim());
};

export const parseQstatXml = (
  stdout: string,
  stderr: string,
  exitCode: number,
  ctx?: QueryContext,
): Result<Map<string, JobStatus>, Failure> => {
  if (exitCode !== 0) return fail(queryFailed('qstat', exitCode, stdout, stderr));
  const statuses = new Map<string, JobStatus>();
  if (stdout.trim() === '') return ok(statuses);
  if (!stdout.includes('<job_info')) return fail(unreadableOutput('qstat -xml', 'no <job_info> element', stdout));
  for (const [element] of stdout.matchAll(/<job_list\b[^>]*>[\s\S]*?<\/job_list>/g)) {
    const jobId = xmlChild(element, 'JB_job_number');
    const native = xmlChild(element, 'state');
    if (jobId === undefined || native === undefined) continue;
    const name = xmlChild(element, 'JB_name') ?? '';
    if (ctx !== undefined && !name.startsWith(namePrefix(ctx.runTag))) continue;
    const status = { jobId, state: sgeState(native), native, ...(ctx === undefined ? {} : taskKeyIn(name, ctx.runTag)) };
    // An array's tasks: one element per running task, one for the pending range (`3-6:1`).
    const tasks = xmlChild(element, 'tasks');
    if (tasks === undefined || tasks === '') statuses.set(jobId, status);
    else for (const n of sgeTaskNumbers(tasks)) statuses.set(`${jobId}.${n}`, { ...status, jobId: `${jobId}.${n}` });
  }
  return ok(statuses);
};

/** The `error reason` lines of `qstat -j ID`, without their time stamps; undefined when there are none. */
export const parseSgeErrorReason = (stdout: string): string | undefined => {
  const reasons = [...stdout.matchAll(/^error reason\s+\d+:\s*(.*)$/gm)].map(([, text]) =>
    text!.replace(/^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \[[^\]]*\]:\s*/, '').trim(),
  );
  return reasons.length === 0 ? undefined : reasons.join('; ');
};

// ---------------------------------------------------------------- history

// qacct's "not found" for an id or a name pattern: no record (yet), not a failed query.
const NO_RECORD = /^error: job (?:id|name) .* not found$/m;

// `failed` codes with their own meaning (sge_status(5) / execd's failure table).
const FAILED_TIME_LIMIT = 37; // qmaster enforced h_rt, h_cpu or h_vmem

const leadingNumber = (text: string | undefined): number | undefined => {
  const match = /^\s*(\d+)/.exec(text ?? '');
  return match === null ? undefined : Number(match[1]);
};

const qacctStatus = (jobId: string, fields: ReadonlyMap<string, string>): JobStatus | undefined => {
  const failedText = fields.get('failed');
  const failed = leadingNumber(failedText);
  const exitCode = leadingNumber(fields.get('exit_status'));
  if (failed === undefined || exitCode === undefined) return undefined;
  const native = `failed ${failed}, exit_status ${exitCode}`;
  const reason = failedText!.replace(/^\s*\d+\s*:?\s*/, '').trim();
  const withReason = reason === '' ? {} : { reason };
  // Exit statuses above 128 are 128 + the signal that killed the job (137: SIGKILL, from qdel or a limit).
  const signal = exitCode > 128 && exitCode < 160 ? { signal: exitCode - 128 } : {};
  if (failed === FAILED_TIME_LIMIT) return { jobId, state: 'timeout', native, exitCode, ...signal, ...withReason };
  // failed 0: the job ran and exit_status is its own. qdel and `kill -9` both give failed 100, exit 137.
  const state: JobState = failed === 0 && exitCode === 0 ? 'succeeded' : 'failed';
  return { jobId, state, native, exitCode, ...signal, ...withReason };
};

/** `qacct -j` records, split on their `====` lines; a job run twice keeps its last record. */
export const parseQacctOutput = (
  stdout: string,
  stderr: string,
  exitCode: number,
  ctx?: QueryContext,
): Result<Map<string, JobStatus>, Failure> => {
  if (exitCode !== 0 && !NO_RECORD.test(stderr)) return fail(queryFailed('qacct', exitCode, stdout, stderr));
  const statuses = new Map<string, JobStatus>();
  const runJobs = ctx === undefined ? undefined : new Set(ctx.jobIds);
  for (const record of stdout.split(/^=+\s*$/m)) {
    const fields = new Map<string, string>();
    for (const line of record.split('\n')) {
      const match = /^(\w+)\s+(.*)$/.exec(line);
      if (match !== null) fields.set(match[1]!, match[2]!.trim());
    }
    const number = fields.get('jobnumber');
    if (number === undefined) continue;
    // A task of an array job: `taskid 5` (`undefined` for a plain job).
    const taskId = fields.get('taskid');
    const jobId = taskId !== undefined && /^\d+$/.test(taskId) ? `${number}.${taskId}` : number;
    if (runJobs !== undefined && !runJobs.has(jobId)) continue;
    const status = qacctStatus(jobId, fields);
    if (status !== undefined) statuses.set(jobId, status);
  }
  return ok(statuses);
};

// ---------------------------------------------------------------- detection

/** `qstat -help`: its first line names the Grid Engine flavour (`SGE 8.1.9`, `UGE 8.6.4`, `OGS/GE 2011.11`). */
export const gridEngineProbeCommand = (bin: BinaryLookup): Command => command(bin, 'qstat', ['-help']);

/** Whether `qstat -help` came from Grid Engine rather than PBS/Torque or a Slurm wrapper. */
export const isGridEngineHelp = (stdout: string): boolean => {
  const first = stdout.split('\n').find((line) => line.trim() !== '') ?? '';
  return /^\s*(?:[A-Z]+\/)?[A-Z]*GE\s+\d/.test(first) || /grid ?engine/i.test(first);
};

// ---------------------------------------------------------------- adapter

export interface SgeAdapter extends BatchAdapter {
  errorReasonCommand(jobId: string, bin: BinaryLookup): Command;
  parseErrorReason(stdout: string, stderr: string, exitCode: number): string | undefined;
}

export const createSgeAdapter = (): SgeAdapter => ({
  name: 'sge',
  submitFiles: (job: JobSpec): JobFile[] => [{ path: scriptPath(job), content: renderSgeScript(job), mode: 0o755 }],
  submitCommand: (job, bin) => command(bin, 'qsub', [...qsubOptions(job), scriptPath(job)], job.taskFileDir),
  parseSubmitOutput: parseQsubOutput,
  statusCommands: (ctx, bin) => [command(bin, 'qstat', ['-xml', '-u', ctx.user])],
  // The live query already lists every job of the user; the parser keeps the run's.
  taggedJobsCommand: (ctx, bin) => command(bin, 'qstat', ['-xml', '-u', ctx.user]),
  parseStatusOutput: parseQstatXml,
  // One scan of the accounting file for the whole run, however many jobs are asked about.
  historyCommands: (jobIds, ctx, bin) => (jobIds.length === 0 ? [] : [command(bin, 'qacct', ['-j', `${namePrefix(ctx.runTag)}*`])]),
  parseHistoryOutput: parseQacctOutput,
  explainExit: explainSgeExit,
  // qstat -j takes the array's id; its `error reason <task>:` lines are per task.
  errorReasonCommand: (jobId, bin) => command(bin, 'qstat', ['-j', sgeArray.elementOf(jobId)?.arrayId ?? jobId]),
  parseErrorReason: (stdout) => parseSgeErrorReason(stdout),
  killCommands: (jobIds, bin) => chunk(jobIds).map((ids) => command(bin, 'qdel', ids)),
  array: sgeArray,
});

export const SGE: BatchSystem<'sge'> = {
  name: 'sge',
  aliases: ['gridengine', 'uge', 'oge'], // Univa / Altair Grid Engine, Oracle / Open Grid Engine
  // PBS and Slurm's wrappers have a qsub too.
  detection: { binary: 'qsub', probe: { command: gridEngineProbeCommand, recognises: isGridEngineHelp }, described: 'a Grid Engine qsub' },
  settingsDescription: 'extra qsub options: {"l": "h_vmem=2G"} gives -l h_vmem=2G',
  settings: [
    {
      key: MEMORY_RESOURCE_SETTING,
      type: { kind: 'string' },
      default: DEFAULT_SGE_MEMORY_RESOURCE,
      description: 'Grid Engine resource that memory is requested as, per slot (-l mem_free=…); h_vmem limits address space, under which Node may not start',
    },
    {
      key: PARALLEL_ENVIRONMENT_SETTING,
      type: { kind: 'string' },
      default: DEFAULT_PARALLEL_ENVIRONMENT,
      description: 'Grid Engine parallel environment a job with cpus > 1 asks for (-pe smp <cpus>); `qconf -spl` lists the site\'s',
    },
  ],
  create: createSgeAdapter,
};
