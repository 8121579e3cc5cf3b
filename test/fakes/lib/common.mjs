// Shared plumbing for the batch-system simulators: the state folder, atomic
// files, mkdir locks, id counters, the call log and synchronous output.
// Every command is a short-lived Node process, so all shared state lives in
// files and every multi-step update happens under a lock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Thrown to end a command with the given streams and exit status. */
export class Exit extends Error {
  constructor(status, stderr = '', stdout = '') {
    super(`exit ${status}`);
    this.status = status;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

// The state folder every command shares; refuses to guess one.
export function stateDir(cmd) {
  const dir = process.env.B2_FAKE_CLUSTER_DIR;
  if (!dir) {
    throw new Exit(2, `${cmd}: B2_FAKE_CLUSTER_DIR is not set; it must name the simulator's state folder\n`);
  }
  fs.mkdirSync(dir, { recursive: true });
  return path.resolve(dir);
}

// Blocks the thread without burning CPU (commands are synchronous by design).
export function sleepMs(ms) {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// Write to a temp file and rename, so readers never see a half-written file.
export function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

// Read a file, or undefined when it does not exist (yet, or any more). A
// /proc/<pid>/ file of a process that exits between open and read fails with ESRCH.
export function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'ESRCH') return undefined;
    throw e;
  }
}

const LOCK_STALE_MS = 10_000;

// Run fn while holding a mkdir lock (mkdir is atomic); locks left behind by a
// crashed process are broken after LOCK_STALE_MS.
export function withLock(dir, name, fn) {
  const lock = path.join(dir, 'locks', `${name}.lock`);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS) fs.rmdirSync(lock);
      } catch {
        // another process broke or released it first
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
      sleepMs(1 + Math.random() * 4);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmdirSync(lock);
  }
}

// Reserve `count` consecutive ids from a named counter; returns the first.
export function nextIds(dir, counter, count = 1, first = 1) {
  return withLock(dir, `counter-${counter}`, () => {
    const file = path.join(dir, `${counter}.next`);
    const next = Number(readText(file) ?? first);
    writeAtomic(file, String(next + count));
    return next;
  });
}

// One JSON line per invocation, so tests can count queries per poll interval.
export function logCall(dir, cmd, argv) {
  const line = JSON.stringify({ cmd, argv, time: Date.now() }) + '\n';
  fs.appendFileSync(path.join(dir, 'calls.log'), line);
}

// Write everything to fd 1/2 synchronously (process.exit would cut async writes).
export function writeAll(fd, text) {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      const n = fs.writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      sleepMs(2);
    }
  }
}

export const userName = () => os.userInfo().username;
export const hostName = () => os.hostname();

const pad2 = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// Small strftime subset in local time: %Y %y %m %d %e %H %M %S %b %a and %-m/%-d.
export function formatTime(ms, fmt) {
  const d = new Date(ms);
  return fmt.replace(/%(-?)([YymdeHMSba%])/g, (_, dash, c) => {
    switch (c) {
      case 'Y': return String(d.getFullYear());
      case 'y': return pad2(d.getFullYear() % 100);
      case 'm': return dash ? String(d.getMonth() + 1) : pad2(d.getMonth() + 1);
      case 'd': return dash ? String(d.getDate()) : pad2(d.getDate());
      case 'e': return String(d.getDate()).padStart(2, ' ');
      case 'H': return pad2(d.getHours());
      case 'M': return pad2(d.getMinutes());
      case 'S': return pad2(d.getSeconds());
      case 'b': return MONTHS[d.getMonth()];
      case 'a': return DAYS[d.getDay()];
      default: return '%';
    }
  });
}

// Quote a string for a bash script (single quotes, ' escaped).
export const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// True when the process (or process group, for negative ids) still exists.
export function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Send a signal, ignoring processes that are already gone.
export function signal(pid, sig) {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch (e) {
    if (e.code !== 'ESRCH') throw e;
  }
}

// Read an integer pid file; an empty file is being written, so retry briefly.
export function readPid(file) {
  for (let i = 0; i < 20; i++) {
    const text = readText(file);
    if (text === undefined) return undefined;
    const pid = Number.parseInt(text, 10);
    if (pid > 0) return pid;
    sleepMs(5);
  }
  return undefined;
}

// /proc/<pid>/stat fields after the command name: state ppid pgrp session ...
function procStat(pid) {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], pgrp: Number(f[2]), session: Number(f[3]) };
}

/** The session id of a live process (undefined when gone or a zombie). */
export function procSession(pid) {
  const st = pid ? procStat(pid) : undefined;
  return st && st.state !== 'Z' ? st.session : undefined;
}

/** Every live process whose session is one of `sessions` (runners lead their own session). */
export function processesInSessions(sessions) {
  const wanted = new Set(sessions);
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.state !== 'Z' && wanted.has(st.session)) found.push({ pid: Number(name), pgrp: st.pgrp, session: st.session });
  }
  return found;
}

/** True when pid is the runner started for jobDir (guards against recycled pids). */
export function isRunner(pid, jobDir) {
  if (!pid) return false;
  const cmd = readText(`/proc/${pid}/cmdline`);
  return cmd !== undefined && cmd.split('\0').includes(jobDir) && procSession(pid) === pid;
}

/** Ask a job's runner to act on a new marker file (it also polls while idle). */
export function pokeRunner(jobDir) {
  const pid = readPid(path.join(jobDir, 'runner.pid'));
  if (isRunner(pid, jobDir)) signal(pid, 'SIGUSR1');
}

/**
 * Create `file` with `data` only if it does not exist yet (write a temp file,
 * then hard-link it into place: link() fails atomically on EEXIST).
 * Returns false when another process got there first.
 */
export function createExclusive(file, data) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, data);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if (e.code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.unlinkSync(tmp);
  }
}
