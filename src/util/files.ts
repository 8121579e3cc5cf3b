/**
 * Writing files that may fail: whole writes, and failures told as one line
 * that names the file and the system's own word for what went wrong, e.g.
 * "cannot write its log file /x/stdout: no space left on device (ENOSPC)".
 */
import { writeSync } from 'node:fs';
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
