/**
 * b2's own error while it ran a task (a UserError: no run() method, an
 * output not written, a record it cannot read, ...), handed from the process
 * that ran the task to the runner through the task's log folder. The runner
 * then reports b2's message and hint instead of an exit code and the tail of
 * the task's stderr. A pool worker could say it over its channel, a batch job
 * has only files; one way serves both.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { jobFilesIn } from '../run/layout.js';
import type { UserError } from '../errors.js';

export interface OwnError {
  readonly message: string;
  readonly hint?: string;
}

const fileIn = (logDir: string): string => jobFilesIn(logDir).ownError;

/** Before an attempt: an error an earlier attempt left must not be taken for this one's. */
export const clearOwnError = (logDir: string): void => rmSync(fileIn(logDir), { force: true });

export const writeOwnError = (logDir: string, error: UserError): void => {
  const record: OwnError = { message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) };
  try {
    writeFileSync(fileIn(logDir), JSON.stringify(record));
  } catch {
    // The task's stderr has the error too; the runner then shows its tail.
  }
};

/** The error recorded for the attempt that just failed, if b2 recorded one; the file is consumed. */
export const takeOwnError = (logDir: string): OwnError | undefined => {
  let text: string;
  try {
    text = readFileSync(fileIn(logDir), 'utf8');
  } catch {
    return undefined;
  }
  clearOwnError(logDir);
  try {
    const record = JSON.parse(text) as Partial<OwnError>;
    if (typeof record.message !== 'string') return undefined;
    return { message: record.message, ...(typeof record.hint === 'string' ? { hint: record.hint } : {}) };
  } catch {
    return undefined;
  }
};
