/**
 * What a job carries besides the run tag: a short key of its task, so that a
 * submission whose outcome is unknown (the command timed out, was killed, or
 * lost its connection after the scheduler may have taken the job) can be
 * resolved by asking the system which jobs of the run exist, and for which
 * task, before anything is submitted again. A digest rather than the task id
 * itself: it fits every system's field (job names included) as it is.
 */
import { createHash } from 'node:crypto';

const KEY_LENGTH = 12; // the parsers below expect 12 hex digits

/** The key a task's jobs carry. */
export const taskKey = (taskId: string): string => createHash('sha1').update(taskId).digest('hex').slice(0, KEY_LENGTH);

/** Run tag and task key in one free-text field (Slurm comment, LSF job description); no blank, so no quoting. */
export const taggedText = (runTag: string, key: string): string => `${runTag}.${key}`;

/**
 * The run tag and task key of a field written by `taggedText`; a field
 * holding the tag alone (a job of an older b2) has no key.
 */
export const parseTaggedText = (text: string): { runTag: string; taskKey?: string } => {
  const match = /^(.+)\.([0-9a-f]{12})$/.exec(text.trim());
  return match === null ? { runTag: text.trim() } : { runTag: match[1]!, taskKey: match[2]! };
};
