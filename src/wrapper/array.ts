/**
 * The array script (templates/array.sh): one script for every element of an
 * array job, mapping the element's index to the tasks it runs. Each task runs
 * through its own job wrapper with its own logs, so each records its own exit
 * status; the element's own exit status decides nothing.
 */
import { UserError } from '../errors.js';
import { shellJoin, shellQuote } from './quote.js';
import { loadTemplate, renderTemplate } from './render.js';

/** One task of an element: its wrapper and the log files the script opens for it. */
export interface ArrayTask {
  readonly wrapperPath: string;
  readonly stdoutPath: string;
  readonly stderrPath: string;
}

export interface ArrayScriptSpec {
  /** The bash expression of the element's 1-based index, e.g. `"${SLURM_ARRAY_TASK_ID:-}"`; built by b2, never from settings. */
  readonly index: string;
  /** The tasks of each element, element 1 first. */
  readonly elements: readonly (readonly ArrayTask[])[];
  /** How many of an element's tasks run at once. */
  readonly tasksInParallel: number;
  /** Append to the log files (Grid Engine's way) rather than start them anew (Slurm's). */
  readonly appendLogs: boolean;
  /** The submit command, shown in a comment for a human. */
  readonly command: readonly string[];
}

const checkPath = (what: string, value: string): void => {
  if (value.includes('\0')) throw new UserError('bad-job-wrapper', `${what} contains a NUL character, which no shell can pass on`);
};

const elementArm = (tasks: readonly ArrayTask[], index: number): string => {
  const words = tasks.flatMap((task) => {
    checkPath('the job wrapper path', task.wrapperPath);
    checkPath('the stdout path', task.stdoutPath);
    checkPath('the stderr path', task.stderrPath);
    return [task.wrapperPath, task.stdoutPath, task.stderrPath];
  });
  return `${index})\n  set -- ${words.map(shellQuote).join(' ')}\n  ;;`;
};

export const renderArrayScript = (spec: ArrayScriptSpec): string => {
  if (!Number.isInteger(spec.tasksInParallel) || spec.tasksInParallel < 1) throw new Error(`tasks_in_parallel must be a whole number of at least 1, got ${spec.tasksInParallel}`);
  return renderTemplate(loadTemplate('array.sh'), {
    // A line break would end the comment: the command shows as one line.
    command: shellJoin(spec.command).replace(/\n/g, '\\n'),
    index: spec.index,
    tasks_in_parallel: String(spec.tasksInParallel),
    redirect: spec.appendLogs ? '>>' : '>',
    elements: spec.elements.map((tasks, i) => elementArm(tasks, i + 1)).join('\n'),
  });
};
