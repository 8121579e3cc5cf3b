/**
 * The contract every batch system adapter fulfils. Adapters are pure: they
 * build argv lists and files and parse command output, and never run
 * anything themselves. `src/batch/run-command.ts` is the one place that runs
 * the commands they build (with timeouts), so each adapter can be tested with
 * captured output alone.
 */
import type { Result, Failure } from '../errors.js';

/**
 * What b2 needs to know about a job, whatever the system calls it.
 * The exit-status file written by the job wrapper decides success; these
 * states decide liveness, and explain a job that ended without that file.
 */
export type JobState =
  | 'pending' // queued, waiting, held by dependency or user, suspended while pending
  | 'running' // started (includes completing / transferring output / suspended while running)
  | 'succeeded' // left the system with exit 0 (by the system's own account)
  | 'failed' // left the system with an error (non-zero exit, node failure, out of memory, ...)
  | 'held' // needs attention and will not run by itself (HTCondor hold, SGE Eqw)
  | 'cancelled' // removed by a user or admin
  | 'timeout' // killed for exceeding its walltime
  | 'unknown'; // a state this adapter does not recognise: treated as still active

export interface JobStatus {
  readonly jobId: string;
  readonly state: JobState;
  /** The system's own word for it, e.g. 'PENDING', 'Eqw', '5', 'EXIT'. */
  readonly native: string;
  readonly exitCode?: number;
  /** Hold reason, pending reason, SGE error reason, 'CANCELLED by 0', ... */
  readonly reason?: string;
  /** The signal that ended the job, when the system reports one (Slurm `ExitCode=0:9`, HTCondor `ExitSignal`). */
  readonly signal?: number;
  /** The key of the task the job was submitted for (see task-key.ts), when the output shows it. */
  readonly taskKey?: string;
}

/** A command to run: argv[0] is the binary (already mapped through the `batch_commands` setting). */
export interface Command {
  readonly argv: readonly string[];
  /** Text piped to stdin (e.g. a submit description). */
  readonly stdin?: string;
  /** Working directory for the command (default: the runner's cwd). */
  readonly cwd?: string;
}

/** A file an adapter wants written before submission (submit description, batch script). */
export interface JobFile {
  readonly path: string;
  readonly content: string;
  /** e.g. 0o755 for scripts. */
  readonly mode?: number;
}

/** Generic resources, mapped by each adapter; per-system settings dicts override them. */
export interface Resources {
  readonly cpus?: number;
  /** Megabytes. */
  readonly memoryMb?: number;
  readonly walltimeSeconds?: number;
  readonly queue?: string;
}

/** Everything about one task's job, resolved from settings by the batch executor. */
export interface JobSpec {
  readonly taskId: string;
  /** Tag shared by every job of one `b2 run`, used to query all of them in one call. */
  readonly runTag: string;
  /** The task's key (task-key.ts), carried by the job next to the run tag. */
  readonly taskKey: string;
  /** Display name (setting `job_name`, default: the task family). */
  readonly jobName: string;
  /** The bash wrapper rendered from templates/ (absolute). */
  readonly wrapperPath: string;
  /** Folder for submit files of this task (absolute): `<task_file_dir>/<params>/<Family>`. */
  readonly taskFileDir: string;
  /** Absolute log paths: `<log_dir>/<params>/<Family>/{stdout,stderr,job.log}`. */
  readonly stdoutPath: string;
  readonly stderrPath: string;
  readonly jobLogPath: string;
  /** Absolute working directory of the job. */
  readonly workingDir: string;
  readonly resources: Resources;
  /** The merged per-system dict (`<system>_settings`: `htcondor_settings`, `lsf_settings`, ...). */
  readonly systemSettings: Readonly<Record<string, string | number | boolean>>;
  /** The values of the settings the system declares as its own (`BatchSystem.settings`), by key. */
  readonly systemOptions?: Readonly<Record<string, string>>;
  /** HTCondor `transfer_files` (absolute paths), plus the env_script when set. */
  readonly transferFiles: readonly string[];
  readonly envScript?: string;
  /** How the task goes out with others of its family (settings array, array_size, tasks_per_job, tasks_in_parallel). */
  readonly bulk?: BulkSettings;
}

/** The settings that put several tasks in one submit command, one job, or both. */
export interface BulkSettings {
  /** Tasks of one family ready together go out as one array. */
  readonly array: boolean;
  /** Most elements per array (the site's limit lowers it); undefined: the site's limit, else 1000. */
  readonly arraySize?: number;
  /** Tasks one job (or array element) runs. */
  readonly tasksPerJob: number;
  /** How many of a packed job's tasks run at once inside it. */
  readonly tasksInParallel: number;
  /** Elements of one array running at once (setting workers). */
  readonly slotLimit: number;
}

/** Context of a status query: all jobs of one run, by tag and by id. */
export interface QueryContext {
  readonly runTag: string;
  readonly jobIds: readonly string[];
  /** The submitting user (for systems that filter by user). */
  readonly user: string;
}

/** Binary names after the `batch_commands` setting: `bin('sbatch')` -> ['sbatch'] or a site wrapper. */
export type BinaryLookup = (name: string) => readonly string[];

export interface GroupedSubmission {
  groupKey(job: JobSpec): string | undefined;
  /** The files for jobs of one key, named after `name` in `dir`, and the command that submits them. */
  submission(jobs: readonly JobSpec[], dir: string, name: string, bin: BinaryLookup): { files: JobFile[]; command: Command };
  /** Job ids in the order of `jobs`; as many as the output names (a torn output names fewer). */
  parseSubmitIds(stdout: string, stderr: string): Result<string[], Failure>;
}

/** What a site allows, as its configuration says (undefined: it does not say). */
export interface SiteLimits {
  /** Most elements in one array. */
  readonly maxArraySize?: number;
  /** Most jobs (array elements counted one by one) a user or the system may have queued. */
  readonly maxJobs?: number;
}

/**
 * One array of tasks: each element runs the wrappers of one or more tasks
 * (packing), named by its index in the array script written beforehand.
 * Every task keeps its own wrapper, logs and exit-status file.
 */
export interface ArrayRequest {
  /** The tasks of each element, element 1 first. */
  readonly elements: readonly (readonly JobSpec[])[];
  /** Whose options (resources, system settings, bulk settings) the array takes: its tasks share them. */
  readonly options: JobSpec;
  /** The array's own key (12 hex digits), carried next to the run tag: the keys file under it names each element's tasks. */
  readonly arrayKey: string;
  /** Folder for the array script and its submit files, and their base name. */
  readonly dir: string;
  readonly name: string;
}

/** Arrays: many jobs (elements) from one submit command, each with an id of its own. */
export interface ArraySubmission {
  /** Whether this job can go out in an array (true when absent). */
  accepts?(job: JobSpec): boolean;
  /** Jobs whose keys are equal may share an array (same options but for their logs and tag). */
  groupKey(job: JobSpec): string;
  /** The files (array script, submit description) and the command that submits the whole array. */
  submission(request: ArrayRequest, bin: BinaryLookup): { files: JobFile[]; command: Command };
  /** The array's id from the submit command's output. */
  parseArrayId(stdout: string, stderr: string): Result<string, Failure>;
  /** The id of element `index` (1-based) as the system names it: Slurm `12_5`, Grid Engine `12.5`, LSF `12[5]`, HTCondor `12.4`. */
  elementId(arrayId: string, index: number): string;
  /** The array id and 1-based index of an element id; undefined for a plain job id. */
  elementOf(jobId: string): { arrayId: string; index: number } | undefined;
  /** Where the site's limits can be read (once per run). */
  readonly limits?: {
    command(bin: BinaryLookup): Command;
    parse(stdout: string, stderr: string, exitCode: number): SiteLimits;
  };
}

export interface BatchAdapter {
  /** The system's name in the registry. */
  readonly name: string;
  /** Files to write before submitting (the wrapper itself is written by the executor). */
  submitFiles(job: JobSpec): JobFile[];
  submitCommand(job: JobSpec, bin: BinaryLookup): Command;
  /** The job id from a successful submission's output; a Failure when it cannot be found. */
  parseSubmitOutput(stdout: string, stderr: string): Result<string, Failure>;
  /**
   * Several jobs in one submit command, where the system takes that
   * (HTCondor: one description with a cluster per job). Jobs whose keys are
   * equal may share a command; undefined sends a job alone. Optional: the
   * others submit one command per job.
   */
  readonly grouped?: GroupedSubmission;
  /** Arrays (see ArraySubmission); a system without them submits one job per task. */
  readonly array?: ArraySubmission;
  /**
   * The live-queue query for every job in `ctx`, as few commands as argv
   * limits allow (one for systems queried by tag or by user). The runner
   * runs each, parses each output and merges the maps; a Failure from any of
   * them fails that poll.
   */
  statusCommands(ctx: QueryContext, bin: BinaryLookup): Command[];
  /**
   * One command listing the live jobs carrying `ctx.runTag`, whatever their
   * ids (by tag, or every job of the user), parsed by parseStatusOutput with
   * `ctx`: which jobs of the run exist, and for which task.
   */
  taggedJobsCommand(ctx: QueryContext, bin: BinaryLookup): Command;
  /**
   * Parse the live-queue output. A job absent from the map is not in the
   * live queue (finished, or never known); the runner then asks history.
   * With `ctx`, jobs tagged for another run are left out (a guard against
   * reused job ids); pass it whenever it is at hand.
   */
  parseStatusOutput(stdout: string, stderr: string, exitCode: number, ctx?: QueryContext): Result<Map<string, JobStatus>, Failure>;
  /** Finished jobs (condor_history, bjobs -a, sacct/scontrol, qacct); undefined when the live query already covers them. */
  historyCommands?(jobIds: readonly string[], ctx: QueryContext, bin: BinaryLookup): Command[];
  parseHistoryOutput?(stdout: string, stderr: string, exitCode: number, ctx?: QueryContext): Result<Map<string, JobStatus>, Failure>;
  /**
   * Why a 'held' job cannot run, when the status output does not say
   * (Grid Engine's Eqw: `qstat -j ID`). The parser gives undefined when the
   * output names no reason.
   */
  errorReasonCommand?(jobId: string, bin: BinaryLookup): Command;
  parseErrorReason?(stdout: string, stderr: string, exitCode: number): string | undefined;
  /**
   * What a non-zero exit status means, when the system knows better than
   * "exit code n" or "killed by signal n" (Grid Engine: Node dying under an
   * h_vmem limit ran out of memory). Undefined: nothing to add.
   */
  explainExit?(job: JobSpec, exitStatus: number, stderrTail: string): string | undefined;
  /** Kill commands for these jobs, batched to stay within argv limits. */
  killCommands(jobIds: readonly string[], bin: BinaryLookup): Command[];
}

/** A setting of one system alone, read by its adapter from `JobSpec.systemOptions`. */
export interface SystemSetting {
  readonly key: string;
  readonly type: { readonly kind: 'string' } | { readonly kind: 'enum'; readonly values: readonly string[] };
  readonly default: string;
  readonly description: string;
}

/** How `batch_system = auto` recognises a system from the submit host. */
export interface Detection {
  /** The submit binary whose presence on PATH points to the system. */
  readonly binary: string;
  /**
   * For a binary several systems call their own (`qsub`): a command whose
   * output tells them apart, and the test of that output.
   */
  readonly probe?: {
    readonly command: (bin: BinaryLookup) => Command;
    readonly recognises: (stdout: string) => boolean;
  };
  /** How the "nothing found" message names what was looked for, e.g. "a Grid Engine qsub". */
  readonly described: string;
}

/**
 * One batch system as the registry knows it: its names, how it is
 * detected, the settings it reads, and how its adapter is made.
 */
export interface BatchSystem<Name extends string = string> {
  readonly name: Name;
  /** Other names sites and users call it by. */
  readonly aliases: readonly string[];
  readonly detection: Detection;
  /** What `<name>_settings` holds, for the settings table. */
  readonly settingsDescription: string;
  /** Settings of this system alone (e.g. the LSF memory unit). */
  readonly settings: readonly SystemSetting[];
  /**
   * Asked once per process before an adapter for status queries is made,
   * when the system's setup decides how to query it (Slurm: where finished
   * jobs are found); `read` gives what `create` takes.
   */
  readonly setup?: {
    readonly command: (bin: BinaryLookup) => Command;
    read(stdout: string, stderr: string, exitCode: number): unknown;
  };
  /** The adapter; `setup` the value `setup.read` gave, when the system has one and it was run. */
  create(setup?: unknown): BatchAdapter;
}
