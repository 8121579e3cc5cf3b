/** Is the runner of a run still alive? Answerable for runners on this host only. */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { RunState } from './state.js';

export type Liveness =
  | { readonly kind: 'finished'; readonly exitCode: number; readonly at: number }
  | { readonly kind: 'alive'; readonly pid: number; readonly host: string }
  | { readonly kind: 'dead'; readonly pid: number; readonly host: string; readonly lastEntryAt: number }
  /** On another host: this one cannot tell. */
  | { readonly kind: 'elsewhere'; readonly pid: number; readonly host: string };

/** A live process with this pid that is a b2 runner (a reused pid is someone else). */
export const isRunnerProcess = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /b2/.test(cmdline);
  } catch (error) {
    // Gone since the signal check (ESRCH: between open and read); without /proc (not Linux), trust that check.
    const code = (error as NodeJS.ErrnoException).code;
    return !(code === 'ESRCH' || (code === 'ENOENT' && existsSync('/proc/self')));
  }
};

export const runnerLiveness = (state: RunState): Liveness => {
  if (state.finished) return { kind: 'finished', exitCode: state.finished.exitCode, at: state.finished.t };
  const started = state.started;
  if (!started) return { kind: 'dead', pid: 0, host: '?', lastEntryAt: state.lastEntryAt };
  if (started.host !== os.hostname()) return { kind: 'elsewhere', pid: started.pid, host: started.host };
  return isRunnerProcess(started.pid)
    ? { kind: 'alive', pid: started.pid, host: started.host }
    : { kind: 'dead', pid: started.pid, host: started.host, lastEntryAt: state.lastEntryAt };
};
