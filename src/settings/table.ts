/**
 * Every known setting, with its type, default and a one-line description:
 * the single source for validation, `b2 settings`, the README's settings
 * reference and .b2rc.example.json.
 */
import os from 'node:os';
import path from 'node:path';
import { ownFile } from '../util/own-root.js';
import { BATCH_SYSTEM_ALIASES, systemSettings } from '../systems/registry.js';

export type SettingType =
  | { readonly kind: 'string' }
  | { readonly kind: 'integer'; readonly min?: number }
  | { readonly kind: 'number'; readonly min?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** A string; relative paths resolve against the pipeline's folder where used. */
  | { readonly kind: 'path' }
  | { readonly kind: 'string-list' }
  /** An object of strings (e.g. env). */
  | { readonly kind: 'string-record' }
  /** An object of strings, numbers and booleans (per-system option records). */
  | { readonly kind: 'object' }
  /** An object whose values are a command: a string or a list of strings. */
  | { readonly kind: 'command-map' }
  /** Megabytes, or a string such as "2GB", "500 MB". */
  | { readonly kind: 'memory' }
  /** Seconds, or "HH:MM:SS", "90m", "2h", "1d"; `positive` rejects 0 (an interval or a timeout of nothing). */
  | { readonly kind: 'duration'; readonly positive?: boolean; readonly maxDays?: number }
  /** A string that stays inside one folder name: no "/", "..", or NUL. */
  | { readonly kind: 'path-part' };

/** What defaults may depend on: fixed when settings are initialised. */
export interface DefaultContext {
  readonly pipelineDir: string;
  readonly cwd: string;
}

export type DefaultValue = { readonly value: unknown } | { readonly compute: (context: DefaultContext) => unknown; readonly text: string };

export interface SettingDefinition {
  readonly key: string;
  readonly type: SettingType;
  /** Absent for optional settings: getSetting then needs `{ default }` from its caller. */
  readonly default?: DefaultValue;
  readonly description: string;
  /** Older (b2luigi) names, accepted with a warning. */
  readonly deprecated?: readonly string[];
}

export const B2_BIN = ownFile('bin', 'b2.js');

const value = (v: unknown): DefaultValue => ({ value: v });
const computed = (text: string, compute: (context: DefaultContext) => unknown): DefaultValue => ({ compute, text });

const PATH = { kind: 'path' } as const;
const STRING = { kind: 'string' } as const;
const STRING_LIST = { kind: 'string-list' } as const;
const OBJECT = { kind: 'object' } as const;
const DURATION = { kind: 'duration' } as const;
// A poll interval or timeout of 0 would poll without pause or kill every command at once.
const POSITIVE_DURATION = { kind: 'duration', positive: true } as const;
// A command's timeout is a timer, and Node fires timers beyond 2^31 ms (24.8 days) at once: every command would be killed.
const TIMEOUT = { kind: 'duration', positive: true, maxDays: 24 } as const;

export const SETTINGS: readonly SettingDefinition[] = [
  // Where things go
  { key: 'result_dir', type: PATH, default: value('.'), description: 'base folder of output files', deprecated: ['result_path'] },
  { key: 'log_dir', type: PATH, default: value('logs'), description: 'base folder of per-task logs: <log_dir>/<params>/<Family>/', deprecated: ['log_folder'] },
  { key: 'task_file_dir', type: PATH, default: value('task_files'), description: 'base folder of job wrappers and submit files' },
  { key: 'state_dir', type: PATH, default: value('.b2/runs'), description: 'folder of run journals (status, kill, resume); batch nodes must be able to read it' },
  { key: 'keep_runs', type: { kind: 'integer', min: 1 }, default: value(50), description: 'finished runs kept in state_dir: when a run starts, older finished runs are removed (live and unfinished runs always stay)' },
  { key: 'scratch_dir', type: PATH, default: computed('the system temp folder', () => os.tmpdir()), description: 'folder for temporary files' },
  { key: 'parameter_separator', type: { kind: 'path-part' }, default: value('='), description: 'between parameter name and value in output paths' },
  { key: 'use_parameter_name_in_output', type: { kind: 'boolean' }, default: value(true), description: 'output folders are name=value (true) or value (false)' },
  // How tasks run
  { key: 'workers', type: { kind: 'integer', min: 1 }, default: value(1), description: 'tasks (local) or jobs (batch) in flight at once' },
  { key: 'retries', type: { kind: 'integer', min: 0 }, default: value(0), description: 'extra attempts for a failed task (can be set per task)' },
  {
    key: 'batch_system',
    type: { kind: 'enum', values: ['auto', 'local', ...BATCH_SYSTEM_ALIASES] },
    default: value('auto'),
    description: 'where --batch sends a task; auto picks by which submit command is on PATH',
  },
  // Fewer submissions: arrays and packing
  { key: 'array', type: { kind: 'boolean' }, default: value(true), description: 'tasks of one family ready together go out as one array (Slurm, Grid Engine, LSF, HTCondor); false: one job per task' },
  { key: 'array_size', type: { kind: 'integer', min: 1 }, description: "most elements per array; default: the site's limit (Slurm MaxArraySize, Grid Engine max_aj_tasks, LSF MAX_JOB_ARRAY_SIZE), else 1000" },
  { key: 'tasks_per_job', type: { kind: 'integer', min: 1 }, default: value(1), description: 'tasks of one family run by one job or array element, each with its own logs and exit status' },
  { key: 'tasks_in_parallel', type: { kind: 'integer', min: 1 }, default: value(1), description: 'how many of a packed job\'s tasks run at once inside it (its cpus and memory are asked for that many)' },
  // The job wrapper
  { key: 'shell', type: STRING, default: value('bash'), description: 'shell of the job wrapper (bash, or an absolute path to bash)' },
  { key: 'working_dir', type: PATH, default: computed("the pipeline's folder", (c) => c.pipelineDir), description: 'folder the job changes to before running the task' },
  { key: 'env_script', type: PATH, default: value(''), description: 'script sourced by the job before running the task' },
  { key: 'env', type: { kind: 'string-record' }, default: value({}), description: 'environment variables exported in the job' },
  {
    key: 'executable',
    type: STRING_LIST,
    default: computed('this node and b2', () => [process.execPath, B2_BIN]),
    description: 'command that runs `worker --task-id ID` in the job',
  },
  { key: 'executable_prefix', type: STRING_LIST, default: value([]), description: 'put before the executable (e.g. ["apptainer", "exec", "image.sif"])', deprecated: ['cmd_prefix'] },
  { key: 'task_cmd_additional_args', type: STRING_LIST, default: value([]), description: "appended to the job's command line" },
  // Containers (b2luigi's apptainer settings): what runs inside and outside is in the README
  { key: 'apptainer_image', type: STRING, default: value(''), description: 'run each task in this Apptainer image: a .sif file or sandbox folder (relative: from the pipeline\'s folder) or a docker://, oras://, library:// URI; "": no container' },
  { key: 'apptainer_cmd', type: STRING, default: value(''), description: 'the apptainer binary; "": apptainer, else singularity, found on PATH' },
  { key: 'apptainer_mounts', type: STRING_LIST, default: value([]), description: 'bind paths for the container, each one --bind argument: "src[:dst[:ro|rw]]"' },
  { key: 'apptainer_mount_defaults', type: { kind: 'boolean' }, default: value(true), description: 'also bind result_dir, log_dir and state_dir when they are not under working_dir' },
  { key: 'apptainer_additional_params', type: STRING_LIST, default: value([]), description: 'more options of apptainer exec, each one argument (e.g. ["--nv", "--cleanenv"])' },
  // Batch resources and identity
  { key: 'job_name', type: STRING, description: 'name of the job in the batch system (unset: the task family)' },
  { key: 'queue', type: STRING, description: 'queue or partition to submit to' },
  { key: 'job_slots', type: { kind: 'integer', min: 1 }, description: 'LSF slots per job (bsub -n); cpus wins when both are set' },
  { key: 'cpus', type: { kind: 'integer', min: 1 }, description: 'CPUs per job' },
  { key: 'memory', type: { kind: 'memory' }, description: 'memory per job: megabytes, or a size such as "2GB"' },
  { key: 'walltime', type: POSITIVE_DURATION, description: 'run-time limit per job: seconds, "HH:MM:SS", "90m", "2h"; a job exceeding it is reported as timed out' },
  {
    key: 'escalate_resources',
    type: { kind: 'number', min: 1 },
    default: value(1),
    description: 'a batch job that ran out of memory (or walltime) is retried (within retries) asking for this many times as much memory (or walltime), again on each such failure; 1: off',
  },
  { key: 'escalate_resources_max', type: { kind: 'number', min: 1 }, default: value(4), description: 'escalated memory and walltime stay within this many times the memory and walltime settings' },
  { key: 'transfer_files', type: STRING_LIST, default: value([]), description: 'HTCondor: absolute paths transferred to the job (needs working_dir ".")' },
  // `<system>_settings` and the settings of one system alone, for every system of the registry.
  ...systemSettings().flatMap(({ system, settingsDescription, own }): SettingDefinition[] => [
    { key: `${system}_settings`, type: OBJECT, default: value({}), description: settingsDescription },
    ...own.map(({ key, type, default: fallback, description }) => ({ key, type, default: value(fallback), description })),
  ]),
  { key: 'batch_commands', type: { kind: 'command-map' }, default: value({}), description: 'replace batch binaries, e.g. {"sbatch": "/opt/slurm/bin/sbatch"}' },
  // Talking to the batch system
  {
    key: 'poll_interval',
    type: POSITIVE_DURATION,
    default: value(10),
    description: 'longest wait between status queries (one query per batch system for all jobs); the wait grows to it while no job changes',
  },
  {
    key: 'poll_interval_min',
    type: POSITIVE_DURATION,
    default: value(2),
    description: 'shortest wait between status queries, used while jobs finish; each quiet answer stretches the wait 1.5 times, up to poll_interval',
  },
  { key: 'submit_rate', type: { kind: 'number', min: 0 }, default: value(5), description: 'submit commands per second at most, once submit_burst is spent (Slurm: keep below rl_refill_rate); 0: no limit' },
  { key: 'submit_burst', type: { kind: 'integer', min: 1 }, default: value(20), description: 'submit commands that may go at once after a quiet spell (Slurm: keep below rl_bucket_size)' },
  { key: 'query_rate', type: { kind: 'number', min: 0 }, default: value(2), description: 'status and history queries per second at most, once query_burst is spent; 0: no limit' },
  { key: 'query_burst', type: { kind: 'integer', min: 1 }, default: value(10), description: 'status and history queries that may go at once after a quiet spell' },
  {
    key: 'submit_retries',
    type: { kind: 'integer', min: 0 },
    default: value(6),
    description: 'extra tries of a submission that failed for a passing reason (timeout, busy controller), waiting 2 s, 4 s, ... up to 2 min between them; a rejected submission fails at once',
  },
  { key: 'status_query_timeout', type: TIMEOUT, default: value(60), description: 'a status query taking longer is killed and retried later' },
  { key: 'submit_timeout', type: TIMEOUT, default: value(60), description: 'a submit or kill command taking longer is killed' },
  { key: 'lost_job_grace', type: POSITIVE_DURATION, default: value(300), description: 'a job missing from queue and history this long, without an exit status, is lost' },
  { key: 'held_grace', type: DURATION, default: value(300), description: 'a job held (HTCondor hold, LSF PSUSP/USUSP, Slurm or Grid Engine hold or error) this long fails with the reason and is removed; 0: at once' },
];

export const SETTINGS_BY_KEY: ReadonlyMap<string, SettingDefinition> = new Map(SETTINGS.map((s) => [s.key, s]));

/** Old name -> current name. */
export const DEPRECATED_KEYS: ReadonlyMap<string, string> = new Map(
  SETTINGS.flatMap((s) => (s.deprecated ?? []).map((old) => [old, s.key] as const)),
);

export const KNOWN_KEYS: readonly string[] = SETTINGS.map((s) => s.key);

export const describeType = (type: SettingType): string => {
  switch (type.kind) {
    case 'string':
      return 'a string';
    case 'integer':
      return type.min === undefined ? 'an integer' : `an integer ≥ ${type.min}`;
    case 'number':
      return type.min === undefined ? 'a number' : `a number ≥ ${type.min}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${type.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'path':
      return 'a path (string)';
    case 'string-list':
      return 'a list of strings';
    case 'string-record':
      return 'an object of strings';
    case 'object':
      return 'an object of strings, numbers and booleans';
    case 'command-map':
      return 'an object of commands (a string or a list of strings each)';
    case 'memory':
      return 'megabytes (a number) or a size such as "2GB"';
    case 'duration':
      return `seconds (a number${type.positive ? ' > 0' : ''}) or a duration such as "01:30:00", "90m", "2h"${type.maxDays === undefined ? '' : `, at most ${type.maxDays} days`}`;
    case 'path-part':
      return 'a string without "/", ".." or NUL';
  }
};

/** The default as a value, or undefined for optional settings. */
export const defaultOf = (definition: SettingDefinition, context: DefaultContext): unknown => {
  const fallback = definition.default;
  if (fallback === undefined) return undefined;
  return 'value' in fallback ? fallback.value : fallback.compute(context);
};

// A pipe would split the cell; `<log_dir>` would be taken for an HTML tag and dropped.
const escapeCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/</g, '&lt;');

/** The README's settings reference, generated from the table. */
export const settingsMarkdown = (): string => {
  const rows = SETTINGS.map((s) => {
    const fallback = s.default === undefined ? 'not set' : 'value' in s.default ? `\`${JSON.stringify(s.default.value)}\`` : s.default.text;
    const aliases = s.deprecated ? ` (formerly ${s.deprecated.map((d) => `\`${d}\``).join(', ')})` : '';
    return `| \`${s.key}\`${aliases} | ${escapeCell(describeType(s.type))} | ${escapeCell(fallback)} | ${escapeCell(s.description)} |`;
  });
  return ['| setting | type | default | what it does |', '|---|---|---|---|', ...rows].join('\n');
};
