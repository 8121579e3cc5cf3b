// Starts the bash runners of newly submitted jobs, after writing everything
// they need into each job folder. The job's argv and environment go in
// NUL-separated files so no quoting can go wrong.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shq } from './common.mjs';

const LAUNCHER = fileURLToPath(new URL('./launcher.sh', import.meta.url));

// Defaults for every variable runner.sh reads, so a missing one never means "".
const RUNNER_DEFAULTS = {
  SYS: 'condor',
  CWD: '/',
  EXE: '/bin/true',
  STDIN_PATH: '/dev/null',
  STDOUT_PATH: '/dev/null',
  STDOUT_MODE: 'trunc',
  STDERR_PATH: '/dev/null',
  STDERR_MODE: 'trunc',
  START_DELAY_MS: 0,
  MAX_RUNNING: 0,
  SLOTS_DIR: '',
  WALLTIME_MS: 0,
  WALLTIME_ACTION: 'remove',
  WALLTIME_REASON: '',
  HOLD_AFTER_MS: -1,
  HOLD_CODE: 0,
  HOLD_SUBCODE: 0,
  HOLD_REASON: '',
  VANISH_AFTER_MS: -1,
  KILL_INTERVAL_MS: 1000,
  KILL_SIGS_REMOVE: ['TERM', 'KILL'],
  ULOG: '',
  EVID: '',
  DATEFMT: '%Y-%m-%d %H:%M:%S',
  EXEC_HOST: '',
  HOST: '',
  TRANSFER: 0,
  SCRATCH: '',
  IWD: '',
  TRANSFER_IN: [],
  TRANSFER_OUT: [],
  REQUEST_CPUS: 1,
  REQUEST_MEMORY: 0,
  MEM_LIMIT_KB: 0,
  MEM_CHECK_MS: 200,
  REQUEST_DISK: 0,
  REPORT: 0,
  LSF_JOBID: '',
  JOB_NAME: '',
  QUEUE: '',
  CLUSTER: '',
  USER_NAME: '',
  HOME_DIR: '',
  COMMAND_TEXT: '',
  SUB_MS: 0,
  STATE_DIR: '',
};

function bashVars(vars) {
  return Object.entries({ ...RUNNER_DEFAULTS, ...vars })
    .map(([k, v]) => (Array.isArray(v) ? `${k}=(${v.map(shq).join(' ')})` : `${k}=${shq(v)}`))
    .join('\n') + '\n';
}

const nulJoin = (items) => items.map((s) => `${s}\0`).join('');

// Names bash can export; anything else (e.g. exported shell functions) is dropped.
const exportable = (env) => Object.entries(env).filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));

/**
 * Write run.vars/argv/env into each job folder, then start all runners
 * through one background launcher (Node's own spawn costs ~20 ms a process,
 * which adds up for `queue 200`). `env` is each job's complete environment.
 * The launcher's pid is recorded under <state>/launchers so cleanup can stop it.
 */
export function launchJobs(stateDir, jobs) {
  for (const { jobDir, vars, argv, env } of jobs) {
    fs.writeFileSync(path.join(jobDir, 'run.vars'), bashVars({ ...vars, STATE_DIR: stateDir }));
    fs.writeFileSync(path.join(jobDir, 'argv'), nulJoin(argv));
    fs.writeFileSync(path.join(jobDir, 'env'), nulJoin(exportable(env).map(([k, v]) => `${k}=${v}`)));
  }
  const launchers = path.join(stateDir, 'launchers');
  fs.mkdirSync(launchers, { recursive: true });
  const list = path.join(launchers, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.list`);
  fs.writeFileSync(list, jobs.map((j) => `${j.jobDir}\n`).join(''));
  const child = spawn('bash', [LAUNCHER, list, stateDir], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LC_ALL: 'C', // EPOCHREALTIME must use '.' as the decimal point
      ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
    },
  });
  if (!child.pid) throw new Error('could not start the job launcher (is bash on PATH?)');
  fs.writeFileSync(path.join(launchers, String(child.pid)), '');
  child.unref();
}
