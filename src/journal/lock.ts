/**
 * The state folder's lock: a short exclusive section in which a starting
 * run checks what is complete, looks for conflicting and resumable runs,
 * and registers itself, so that two runs starting at the same moment never
 * both decide to run the same task. The section includes the graph's
 * completeness check, which can take seconds for a large graph: the lock
 * file names its holder, and is taken over only when that holder is gone.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import { UserError } from '../errors.js';
import { stateDirLockFile } from '../run/layout.js';
import { sleep } from '../util/sleep.js';
import { makeFolders } from '../util/files.js';

// A holder on another host cannot be asked; a section this old has died with it.
const STALE_ELSEWHERE_MS = 10 * 60_000;
const RETRY_MS = 50;
const ANNOUNCE_AFTER_MS = 1000;

interface Holder {
  readonly pid: number;
  readonly host: string;
}

const readHolder = (lock: string): Holder | undefined => {
  try {
    const [pid, ...host] = readFileSync(lock, 'utf8').trim().split(' ');
    return Number(pid) > 0 ? { pid: Number(pid), host: host.join(' ') } : undefined;
  } catch {
    return undefined;
  }
};

const processExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The lock file's inode when its holder is gone (dead on this host, silent for long elsewhere, or never named), else undefined. */
const staleLock = (lock: string): number | undefined => {
  const stats = statSync(lock, { throwIfNoEntry: false });
  if (stats === undefined) return undefined; // released meanwhile
  const holder = readHolder(lock);
  if (holder !== undefined && holder.host === os.hostname()) return processExists(holder.pid) ? undefined : stats.ino;
  // Unnamed: its holder died between creating and naming it, or is naming it right now.
  const limit = holder === undefined ? 5_000 : STALE_ELSEWHERE_MS;
  return Date.now() - stats.mtimeMs > limit ? stats.ino : undefined;
};

/**
 * Moves a stale lock aside. If another waiter took over first, the file
 * moved is its fresh lock (another inode): it goes back.
 */
const removeStale = (lock: string, ino: number): void => {
  const aside = `${lock}.${process.pid}.stale`;
  try {
    renameSync(lock, aside);
  } catch {
    return;
  }
  if (statSync(aside).ino !== ino) {
    try {
      linkSync(aside, lock);
    } catch {
      // taken again meanwhile: that holder's lock stands
    }
  }
  rmSync(aside, { force: true });
};

const tryTake = (lock: string): boolean => {
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid} ${os.hostname()}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
};

export interface LockOptions {
  /** Hears once, after a second of waiting, who holds the lock. */
  readonly onWait?: (message: string) => void;
}

/** Runs `fn` while holding the state folder's lock; waits for a live holder, takes over from a dead one. */
export const withStateDirLock = async <T>(stateDir: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> => {
  makeFolders(stateDir);
  const lock = stateDirLockFile(stateDir);
  const since = Date.now();
  for (let announced = false; !tryTake(lock); ) {
    const stale = staleLock(lock);
    if (stale !== undefined) {
      removeStale(lock, stale);
      continue;
    }
    if (!announced && Date.now() - since > ANNOUNCE_AFTER_MS) {
      const holder = readHolder(lock);
      options.onWait?.(`the state folder lock ${lock} is held${holder ? ` by pid ${holder.pid} on ${holder.host}` : ''}: another b2 is starting a run`);
      announced = true;
    }
    if (Date.now() - since > STALE_ELSEWHERE_MS + 60_000) {
      throw new UserError('state-dir-locked', `The state folder ${stateDir} stays locked (${lock}).`, { hint: `Remove ${lock} if no b2 is starting.` });
    }
    await sleep(RETRY_MS);
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
};
