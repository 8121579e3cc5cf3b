// bkill: terminate (or signal) jobs. A terminated job gets a `removed`
// marker with exit reason TERM_OWNER and its runner sends SIGINT, SIGTERM,
// then SIGKILL, killIntervalMs apart (JOB_TERMINATE_INTERVAL in LSF).
// Messages, streams and exit codes follow the bkill manual (see README.md).
import os from 'node:os';
import path from 'node:path';
import { Exit, createExclusive, pokeRunner, procSession, readPid, signal, userName } from './common.mjs';
import { expired, isFinished, loadLsfJobs } from './lsf-jobs.mjs';

function parseArgs(argv) {
  const o = { signal: undefined, name: undefined, user: userName(), done: false, ids: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-s') o.signal = argv[++i];
    else if (a === '-J') o.name = argv[++i];
    else if (a === '-u') o.user = argv[++i];
    else if (a === '-d') o.done = true;
    else if (a === '-r' || a === '-q' || a === '-m') {
      if (a !== '-r') i++;
    } else if (/^\d+$/.test(a)) o.ids.push(Number(a));
    else throw new Exit(255, `bkill: option ${a} is not supported by the b2 batch simulator\n`);
  }
  return o;
}

// "-s 9", "-s KILL" and "-s SIGKILL" all name SIGKILL.
function signalName(spec) {
  if (/^\d+$/.test(spec)) {
    const entry = Object.entries(os.constants.signals).find(([, n]) => n === Number(spec));
    if (!entry) throw new Exit(255, `${spec}: Illegal signal value\n`);
    return entry[0];
  }
  const name = spec.toUpperCase().startsWith('SIG') ? spec.toUpperCase() : `SIG${spec.toUpperCase()}`;
  if (!(name in os.constants.signals)) throw new Exit(255, `${spec}: Illegal signal value\n`);
  return name;
}

const KILLING = new Set(['SIGKILL', 'SIGTERM', 'SIGINT']);

export function main({ argv, dir, faults, out, err }) {
  const o = parseArgs(argv);
  const sig = o.signal ? signalName(o.signal) : undefined;
  const now = Date.now();
  const jobs = loadLsfJobs(dir).filter((j) => !expired(j, faults, now));
  let targets;
  let failed = false;
  if (o.ids.includes(0) || (o.ids.length === 0 && o.name)) {
    // Job id 0 means every job of the user (optionally with -J).
    targets = jobs.filter((j) => !isFinished(j) && (o.user === 'all' || j.meta.user === o.user) && (!o.name || j.meta.name === o.name));
    if (!targets.length) {
      err('No unfinished job found\n');
      return 255;
    }
  } else {
    if (!o.ids.length) throw new Exit(255, 'bkill: a job id (or 0 for all jobs) is required\n');
    targets = [];
    for (const id of o.ids) {
      const job = jobs.find((j) => j.id === id);
      if (!job) {
        err(`Job <${id}>: No matching job found\n`);
        failed = true;
      } else targets.push(job);
    }
  }
  for (const job of targets) {
    if (isFinished(job) || job.removed) {
      err(`Job <${job.id}>: Job has already finished\n`);
      failed = true;
      continue;
    }
    const running = job.startMs !== undefined;
    if (sig && !KILLING.has(sig)) {
      // Only signal the job's own process group (checked against its runner's session).
      const pid = running ? readPid(path.join(job.dir, 'job.pid')) : undefined;
      if (pid && procSession(pid) === readPid(path.join(job.dir, 'runner.pid'))) signal(-pid, sig);
      out(`Job <${job.id}> is being signaled\n`);
      continue;
    }
    const reason = o.done ? 'DONE' : 'TERM_OWNER';
    if (!createExclusive(path.join(job.dir, 'removed'), `${Date.now()}\n${reason}`)) {
      err(`Job <${job.id}>: Job has already finished\n`);
      failed = true;
      continue;
    }
    pokeRunner(job.dir);
    out(sig ? `Job <${job.id}> is being signaled\n` : `Job <${job.id}> is being terminated\n`);
  }
  return failed ? 255 : 0;
}
