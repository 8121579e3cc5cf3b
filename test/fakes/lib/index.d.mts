/**
 * Types for the batch-system simulators' test helper (index.mjs).
 * The simulators themselves are documented in ../README.md.
 */

/** Which invocations a consumable fault applies to. */
export interface FaultScope {
  /** Fire this many times, then stop (default: every eligible event). */
  count?: number;
  /** Let this many eligible events pass before the first firing (default 0). */
  skip?: number;
  /** Only these commands are eligible, e.g. ['condor_q'] (default: all that support the fault). */
  commands?: string[];
}

export interface Faults {
  /** condor_submit/bsub fail before creating a job (default texts: see README). */
  submitError?: FaultScope & { message?: string; exitCode?: number };
  /** condor_q/condor_history/bjobs fail; kind 'locate' gives condor_q's "no schedd" text instead of "Failed to fetch ads". */
  queryError?: FaultScope & { kind?: 'fetch' | 'locate'; message?: string; exitCode?: number };
  /** Status commands sleep this long before answering. */
  queryHang?: FaultScope & { seconds: number };
  /** New jobs go on hold (HTCondor) or are suspended (LSF): afterMs 0 = instead of running, N = after N ms running. */
  hold?: FaultScope & { afterMs?: number; reason?: string; code?: number; subCode?: number };
  /** New jobs vanish afterMs after they start: process killed, gone from queue and history. */
  vanish?: FaultScope & { afterMs?: number };
  /** Jobs stay idle/PEND this long before they may start (applies to jobs submitted afterwards). */
  startDelayMs?: number;
  /** condor_submit and bsub wait this long after the job exists, before printing its id. */
  submitLatencyMs?: number;
  /** At most this many jobs run at once across both systems (0 = unlimited; jobs submitted afterwards). */
  maxRunning?: number;
  /** Pause between the signals of a kill sequence (default 1000). */
  killIntervalMs?: number;

  /** Completed/removed jobs stay in condor_q this long (default 1000). */
  condorQueueLingerMs?: number;
  /** Extra gap before a job that left condor_q shows in condor_history (default 0). */
  condorHistoryDelayMs?: number;
  /** Job event log dates: 'iso' (default, 2024-05-01 12:34:56) or 'legacy' (05/01 12:34:56). */
  condorUserLogFormat?: 'iso' | 'legacy';
  /** condor_rm on a completely empty queue: 'error' (default) or 'message' ("There are no jobs in the queue", exit 0). */
  condorRmEmptyQueue?: 'error' | 'message';
  /** A bare `JobBatchName = x` submit line: 'ignore' (default) or 'set' (like batch_name). */
  condorBareJobBatchName?: 'ignore' | 'set';
  /** Also print "To monitor your job(s), run: condor_watch_q -clusters C" on stderr (HTCondor 25.x). */
  condorWatchHint?: boolean;
  /** First cluster id of a fresh state folder (default 1). */
  condorFirstClusterId?: number;

  /** Finished LSF jobs are forgotten after this many seconds (CLEAN_PERIOD, default 3600). */
  lsfCleanPeriodSec?: number;
  /** Finished jobs in bjobs without -a: 'hide' (default, IBM docs) or 'show' (as captured by luigi/nextflow). */
  lsfFinishedWithoutA?: 'hide' | 'show';
  /** Unknown ids with bjobs -json: 'stderr' (default: message on stderr) or 'record' ({"JOBID","ERROR"} record). */
  lsfJsonUnknownId?: 'stderr' | 'record';
  /** Stream for "No unfinished job found": 'stderr' (default) or 'stdout'. */
  lsfNoJobStream?: 'stderr' | 'stdout';
  /** LSB_BJOBS_CONSISTENT_EXIT_CODE (the environment variable wins): false = N (default), true = Y. */
  lsfConsistentExitCode?: boolean;
  /** Known queues (default ['normal']); the first is the default queue unless lsfDefaultQueue is set. */
  lsfQueues?: string[];
  lsfDefaultQueue?: string;
  /** 'default' (default): "default queue <q>" without -q; 'always-queue': always "queue <q>". */
  lsfQueueWording?: 'default' | 'always-queue';
  /** A site banner line bsub prints before "Job <N> is submitted ...". */
  lsfSubmitBanner?: string;
  /** Append the LSF job report to the -o file (default true). */
  lsfJobReport?: boolean;
  /** -n above this is rejected with "Too many processors requested" (default 64). */
  lsfMaxSlots?: number;
  /** Seconds per -W minute (default 60; tests use 1). */
  lsfSecondsPerRunLimitMinute?: number;
  /** First job id of a fresh state folder (default 1). */
  lsfFirstJobId?: number;
  /** MAX_JOB_ARRAY_SIZE (lsb.params): the largest array index bsub accepts, shown by bparams -a (default 1000). */
  lsfMaxJobArraySize?: number;
  /** LSB_BJOBS_DISPLAY_ENH=Y: bjobs shows an array element's JOBID as "N[i]" (default false: N). */
  lsfDisplayEnh?: boolean;
}

/** One recorded invocation (a line of calls.log). */
export interface FakeCall {
  cmd: string;
  argv: string[];
  /** Epoch milliseconds. */
  time: number;
}

/** A job as the simulator currently sees it. */
export interface FakeJob {
  system: 'htcondor' | 'lsf';
  /** "C.P" for HTCondor, "N" for LSF ("N[i]" for an element of array N). */
  id: string;
  /** HTCondor: false while a late-materialized proc (max_materialize, max_idle) is not in the queue yet. */
  materialized?: boolean;
  /**
   * One vocabulary for both systems. LSF maps PEND → idle, RUN → running,
   * PSUSP/USUSP → held, DONE and non-zero exits → completed, killed (bkill,
   * run limit) → removed.
   */
  state: 'idle' | 'running' | 'held' | 'completed' | 'removed';
  /** The system's own word: HTCondor JobStatus ("1".."5"), LSF STAT (PEND, RUN, DONE, EXIT, PSUSP, USUSP). */
  native: string;
  exitCode?: number;
  /** Set when the job died from a signal. */
  signal?: number;
  /** HoldReason/RemoveReason, or the LSF exit reason keyword / suspend reason. */
  reason?: string;
  /** The job's process (and process group) id while it runs. */
  pid?: number;
  /** The job's folder in the state folder. */
  dir: string;
}

/** A live process that belongs to a job. */
export interface FakeProcess {
  pid: number;
  pgid: number;
  /** Its command line, arguments joined by spaces. */
  command: string;
}

export interface FakeCluster {
  /** The state folder (B2_FAKE_CLUSTER_DIR). */
  readonly dir: string;
  /** Folder holding condor_submit, condor_q, condor_history, condor_rm, bsub, bjobs, bkill. */
  readonly binDir: string;
  /** process.env with binDir first on PATH and B2_FAKE_CLUSTER_DIR set (B2_FAKE_FAULTS removed). */
  readonly env: NodeJS.ProcessEnv;
  /** Replace faults.json (every later invocation reads it); count/skip faults start over. */
  setFaults(faults: Faults): void;
  /** Every invocation so far, oldest first. */
  calls(): FakeCall[];
  /** Every job still known to either system. */
  jobs(): FakeJob[];
  /** Live processes of jobs (not of the simulator's runners): what is left running right now. */
  runningProcesses(): FakeProcess[];
  /** Poll jobs() until predicate returns a truthy value (default timeout 30 s). */
  waitFor<T>(predicate: (jobs: FakeJob[]) => T | undefined | null | false, options?: { timeoutMs?: number; intervalMs?: number }): Promise<T>;
  /** Kill every runner and job process, then delete the state folder. */
  cleanup(): void;
}

export interface FakeClusterOptions {
  /** Where the state folder is created (default os.tmpdir()). */
  parentDir?: string;
  /** Extra environment for env. */
  env?: NodeJS.ProcessEnv;
  /** Initial faults.json. */
  faults?: Faults;
}

export function createFakeCluster(options?: FakeClusterOptions): FakeCluster;
