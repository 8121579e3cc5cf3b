/**
 * Where a run's files are: every path under `<state_dir>/<run id>/`, and the
 * status files a job leaves in its task's log folder. The runner, the
 * worker, resume, `b2 status` and `b2 kill` all find them here; no other
 * module joins these names.
 */
import path from 'node:path';

/** A run's folder and the files in it that most readers need. */
export interface RunDir {
  readonly runId: string;
  readonly dir: string;
  /** The run's journal: one JSON entry per line. */
  readonly journal: string;
  /** The settings snapshot that batch jobs read. */
  readonly settings: string;
  /** Task records too long for a job's command line. */
  readonly tasks: string;
}

const JOURNAL = 'journal.jsonl';
const SETTINGS = 'settings.json';
const TASKS = 'tasks';
const SUBMIT = 'submit';
const PLANNED = 'planned.json';
const SUMMARY = 'summary.json';
const FAMILY_GRAPH = 'family-graph.json';

export const runDirAt = (stateDir: string, runId: string): RunDir => {
  const dir = path.join(stateDir, runId);
  return { runId, dir, journal: path.join(dir, JOURNAL), settings: settingsSnapshotFile(dir), tasks: path.join(dir, TASKS) };
};

/** The journal of the run in `<state_dir>/<name>`, whose presence makes that folder a run. */
export const journalOf = (stateDir: string, runId: string): string => path.join(stateDir, runId, JOURNAL);

/** The state folder's lock, held while a runner registers its run. */
export const stateDirLockFile = (stateDir: string): string => path.join(stateDir, '.lock');

/** The index entry of a run's journal (see run-index.ts). */
export const summaryFile = (stateDir: string, runId: string): string => path.join(stateDir, runId, SUMMARY);

/** The tasks a run was started for, with their batch settings. */
export const plannedFile = (run: RunDir): string => path.join(run.dir, PLANNED);

/** Which task families the run's graph has and which require which: for its pictures. */
export const familyGraphFile = (run: RunDir): string => path.join(run.dir, FAMILY_GRAPH);

/** Taken from the run folder a job is given on its command line (`--run-dir`). */
export const settingsSnapshotFile = (runDir: string): string => path.join(runDir, SETTINGS);
export const taskRecordFile = (runDir: string, taskId: string): string => path.join(runDir, TASKS, `${taskId}.json`);

/** Submit commands' outputs and group submit files. */
export const submitDir = (run: RunDir): string => path.join(run.dir, SUBMIT);

/** What the submit command of one job printed. */
export const submitOutputFile = (run: RunDir, taskId: string, attempt: number): string => path.join(submitDir(run), `${taskId}.${attempt}.out`);

/** What a group submit command printed, relative to the run folder (as the journal records it). */
export const groupSubmitOutput = (taskId: string, attempt: number): string => path.join(SUBMIT, `group-${taskId}.${attempt}.out`);

/** An array's files (script, submit description, its output) are named after its key in the submit folder. */
export const arrayName = (arrayKey: string): string => `array-${arrayKey}`;

/** Which tasks each element of an array runs: one line per element, its tasks' keys separated by blanks. */
export const arrayKeysFile = (run: RunDir, arrayKey: string): string => path.join(submitDir(run), `${arrayName(arrayKey)}.keys`);

/** What an array's submit command printed. */
export const arraySubmitOutputFile = (run: RunDir, arrayKey: string): string => path.join(submitDir(run), `${arrayName(arrayKey)}.out`);

/** A path the journal records relative to the run folder. */
export const inRunDir = (run: RunDir, relative: string): string => path.join(run.dir, relative);

/** The files of a task's log folder: its output, and the status files its job leaves. */
export interface JobFiles {
  readonly stdout: string;
  readonly stderr: string;
  /** The wrapper's record of the task's exit status: the truth for success. */
  readonly exitStatus: string;
  /** What the worker measured of the task's run (see resources.ts), next to the exit status. */
  readonly resources: string;
  /** b2's own error while it ran the task (see own-error.ts). */
  readonly ownError: string;
  /** The tasks the task asked for while running, when its job ended to wait for them (see pipeline/dynamic.ts). */
  readonly requested: string;
  /** The batch system's log of the job, where it writes one. */
  readonly jobLog: string;
}

export const jobFilesIn = (logDir: string): JobFiles => ({
  stdout: path.join(logDir, 'stdout'),
  stderr: path.join(logDir, 'stderr'),
  exitStatus: path.join(logDir, 'exit_status'),
  resources: path.join(logDir, 'resources.json'),
  ownError: path.join(logDir, 'b2_error.json'),
  requested: path.join(logDir, 'b2_requested.json'),
  jobLog: path.join(logDir, 'job.log'),
});

/** The job's wrapper script, in the task's file folder. */
export const wrapperFileIn = (taskFileDir: string): string => path.join(taskFileDir, 'executable_wrapper.sh');
