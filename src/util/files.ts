/**
 * Writing files that may fail: whole writes, and failures told as one line
 * that names the file and the system's own word for what went wrong, e.g.
 * "cannot write its log file /x/stdout: no space left on device (ENOSPC)".
 */
import { mkdirSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, UserError } from '../errors.js';

type WriteSync = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

/** Write all of `buffer`: a write may take fewer bytes than asked (a full disk, a signal). */
export const writeFully = (fd: number, buffer: Uint8Array, write: WriteSync = writeSync): void => {
  for (let offset = 0; offset < buffer.length; ) offset += write(fd, buffer, offset, buffer.length - offset);
};

/** "no space left on device (ENOSPC)" for a system error; the message of anything else. */
export const osErrorText = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = errorMessage(error);
  // Node writes "ENOSPC: no space left on device, write" or "..., open '/x/y'".
  const described = code === undefined ? undefined : new RegExp(`^${code}: (.*?)(?:, \\w+(?: '.*')?)?$`, 's').exec(message)?.[1];
  return described === undefined ? message : `${described} (${code})`;
};

export const cannotWrite = (what: string, file: string, error: unknown): string => `cannot write ${what} ${file}: ${osErrorText(error)}`;

/** Run a write of `what` (a file or folder); a failure becomes one that names it and the system's error. */
export const writing = <T>(what: string, file: string, write: () => T): T => {
  try {
    return write();
  } catch (error) {
    throw new UserError('cannot-write', cannotWrite(what, file, error));
  }
};

/**
 * Creates `dir` and its missing parents and returns the first folder it
 * created (undefined when the folder was there; a file there fails with
 * mkdir's EEXIST, so that the caller names the folder it wanted). Node's
 * recursive mkdir never returns for a path below /proc or /sys, where mkdir
 * says ENOENT of a parent that exists; here each level is tried once after
 * its parent, so the system's error comes back. A new task's folder costs three calls: the
 * failed mkdir, its parent's and its own (a shared file system pays each).
 */
export const makeFolders = (dir: string): string | undefined => {
  const target = path.resolve(dir);
  try {
    mkdirSync(target);
    return target;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return existingFolder(target, error);
    const parent = path.dirname(target);
    if (code !== 'ENOENT' || parent === target) throw error;
    const first = makeFolders(parent);
    try {
      mkdirSync(target);
    } catch (again) {
      // Another process (a parallel worker) may make the same folder first.
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
      // What it made must be a folder too (checked also when the parent was ours), and is not ours.
      existingFolder(target, again);
      return first;
    }
    return first ?? target;
  }
};

/** Undefined when `target` is a folder; else the mkdir error (EEXIST for a file there). */
const existingFolder = (target: string, error: unknown): undefined => {
  if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  throw error;
};
