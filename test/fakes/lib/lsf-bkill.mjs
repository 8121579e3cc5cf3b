// bkill: terminate (or signal) jobs. A terminated job gets a `removed`
// marker with exit reason TERM_OWNER and its runner sends SIGINT, SIGTERM,
// then SIGKILL, killIntervalMs apart (JOB_TERMINATE_INTERVAL in LSF).
// Messages, streams and exit codes follow the bkill manual (see README.md).
import os from 'node:os';
import path from 'node:path';
import { Exit, createExclusive, pokeRunner, procSession, readPid, signal, userName } from './common.mjs';
import { expired, isFinished, jobKey, loadLsfJobs, matchesSpec, parseJobSpec } from './lsf-jobs.mjs';

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
    } else if (a === '0') o.ids.push(0);
    else if (parseJobSpec(a)) o.ids.push(parseJobSpec(a));
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
    targets = jobs.filter((j) => !isFinished(j) && (o.user === 'all' || j.meta.user === o.user) && (!o.name || j.meta.name === o.name || j.meta.arrayName === o.name));
    if (!targets.length) {
      err('No unfinished job found\n');
      return 255;
    }
  } else {
    if (!o.ids.length) throw new Exit(255, 'bkill: a job id (or 0 for all jobs) is required\n');
    // "N" of an array takes every element and answers once for the array; "N[i]" one element.
    targets = [];
    for (const spec of o.ids) {
      const matched = jobs.filter((j) => matchesSpec(j, spec));
      if (!matched.length) {
        err(`Job <${spec.text}>: No matching job found\n`);
        failed = true;
      } else if (matched.length > 1 || spec.indices) {
        const live = matched.filter((j) => !isFinished(j) && !j.removed);
        if (!live.length) {
          err(`Job <${spec.text}>: Job has already finished\n`);
          failed = true;
          continue;
        }
        const hit = live.filter((job) => signalOrTerminate(job, sig, o.done)).length;
        if (hit) out(sig ? `Job <${spec.text}> is being signaled\n` : `Job <${spec.text}> is being terminated\n`);
        else {
          err(`Job <${spec.text}>: Job has already finished\n`);
          failed = true;
        }
      } else targets.push(matched[0]);
    }
  }
  for (const job of targets) {
    if (isFinished(job) || job.removed || !signalOrTerminate(job, sig, o.done)) {
      err(`Job <${jobKey(job)}>: Job has already finished\n`);
      failed = true;
      continue;
    }
    out(sig ? `Job <${jobKey(job)}> is being signaled\n` : `Job <${jobKey(job)}> is being terminated\n`);
  }
  return failed ? 255 : 0;
}

// Deliver a signal, or mark the job removed and poke its runner; false when it already finished.
function signalOrTerminate(job, sig, done) {
  if (sig && !KILLING.has(sig)) {
    // Only signal the job's own process group (checked against its runner's session).
    const pid = job.startMs !== undefined ? readPid(path.join(job.dir, 'job.pid')) : undefined;
    if (pid && procSession(pid) === readPid(path.join(job.dir, 'runner.pid'))) signal(-pid, sig);
    return true;
  }
  if (!createExclusive(path.join(job.dir, 'removed'), `${Date.now()}\n${done ? 'DONE' : 'TERM_OWNER'}`)) return false;
  pokeRunner(job.dir);
  return true;
}
