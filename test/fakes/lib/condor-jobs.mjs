// HTCondor job records: one folder per job under <state>/condor/jobs/C.P
// holding job.json (fixed at submit) and the marker files the runner and
// condor_rm write. The job ad is rebuilt from them on every query, so there
// is no shared queue file to corrupt.
import fs from 'node:fs';
import path from 'node:path';
import { Ad, ERROR, bool, int, parseExpr, real, str } from './classad.mjs';
import { formatTime, hostName, readText } from './common.mjs';
import { num } from './faults.mjs';

export const JOB_STATUS = { IDLE: 1, RUNNING: 2, REMOVED: 3, COMPLETED: 4, HELD: 5 };
export const STATUS_LETTER = { 1: 'I', 2: 'R', 3: 'X', 4: 'C', 5: 'H' };

export const condorJobsDir = (dir) => path.join(dir, 'condor', 'jobs');

// The address strings HTCondor writes in event logs and headers.
export const SCHEDD_ADDR = '<127.0.0.1:9618?addrs=127.0.0.1-9618&noUDP&sock=schedd_1_a>';
export const STARTD_ADDR = '<127.0.0.1:9618?addrs=127.0.0.1-9618&noUDP&sock=startd_1_a>';

/** "NNN (CCC.PPP.SSS) date text" + "..." (condor_utils/condor_event.cpp). */
export function eventText(code, evid, ms, body, dateFormat) {
  return `${code} (${evid}) ${formatTime(ms, dateFormat)} ${body}\n...\n`;
}

export const eventId = (cluster, proc) =>
  `${String(cluster).padStart(3, '0')}.${String(proc).padStart(3, '0')}.000`;

// ISO dates since 8.9; DEFAULT_USERLOG_FORMAT_OPTIONS=LEGACY gives MM/DD.
export const userLogDateFormat = (faults) =>
  faults.condorUserLogFormat === 'legacy' ? '%m/%d %H:%M:%S' : '%Y-%m-%d %H:%M:%S';

// Stored attribute values: tagged literals, or { t: 'expr', text } re-parsed on load.
function reviveValue(v) {
  if (v.t !== 'expr') return v;
  try {
    return { t: 'expr', ast: parseExpr(v.text) };
  } catch {
    return ERROR;
  }
}

function readMarker(jobDir, name) {
  const text = readText(path.join(jobDir, name));
  if (!text) return undefined; // absent, or created but not written yet
  const nl = text.indexOf('\n');
  return { head: (nl < 0 ? text : text.slice(0, nl)).trim().split(/\s+/), rest: nl < 0 ? '' : text.slice(nl + 1) };
}

/** Load one job folder; undefined when it vanished or is still being created. */
export function loadJob(jobDir) {
  const metaText = readText(path.join(jobDir, 'job.json'));
  if (metaText === undefined) return undefined;
  const meta = JSON.parse(metaText);
  const started = readMarker(jobDir, 'started');
  const exit = readMarker(jobDir, 'exit');
  const removed = readMarker(jobDir, 'removed');
  const held = readMarker(jobDir, 'held');
  const job = { dir: jobDir, meta, id: meta.id, cluster: meta.cluster, proc: meta.proc };
  // A late-materialized proc is not in the queue yet: no tool sees it.
  job.materialized = !meta.late || readText(path.join(jobDir, 'materialized')) !== undefined;
  job.startMs = started ? Number(started.head[0]) : undefined;
  if (exit) job.exit = { rc: Number(exit.head[0]), ms: Number(exit.head[1]) };
  if (removed) job.removed = { ms: Number(removed.head[0]), reason: removed.rest };
  if (held) job.held = { ms: Number(held.head[0]), code: Number(held.head[1]), subCode: Number(held.head[2]), reason: held.rest };
  if (job.removed) [job.status, job.since] = [JOB_STATUS.REMOVED, job.removed.ms];
  else if (job.held) [job.status, job.since] = [JOB_STATUS.HELD, job.held.ms];
  else if (job.exit) [job.status, job.since] = [JOB_STATUS.COMPLETED, job.exit.ms];
  else if (job.startMs !== undefined) [job.status, job.since] = [JOB_STATUS.RUNNING, job.startMs];
  else [job.status, job.since] = [JOB_STATUS.IDLE, meta.qdateMs];
  return job;
}

/**
 * Every job still on disk, ordered by cluster then proc; procs not yet
 * materialized only with { unmaterialized: true } (condor_rm of their cluster).
 */
export function loadJobs(dir, { unmaterialized = false } = {}) {
  const root = condorJobsDir(dir);
  let names;
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+\.\d+$/.test(n))
    .map((n) => {
      try {
        return loadJob(path.join(root, n));
      } catch {
        return undefined; // vanished while being read
      }
    })
    .filter((job) => job && (unmaterialized || job.materialized))
    .sort((a, b) => a.cluster - b.cluster || a.proc - b.proc);
}

const isFinished = (job) => job.status === JOB_STATUS.REMOVED || job.status === JOB_STATUS.COMPLETED;

/** Completed/removed jobs stay in condor_q for condorQueueLingerMs, then move to history. */
export function inQueue(job, faults, now) {
  return !isFinished(job) || now < job.since + num(faults, 'condorQueueLingerMs', 1000);
}

/** History holds finished jobs once they left the queue (plus condorHistoryDelayMs). */
export function inHistory(job, faults, now) {
  return isFinished(job) && now >= job.since + num(faults, 'condorQueueLingerMs', 1000) + num(faults, 'condorHistoryDelayMs', 0);
}

/** The job ad as condor_q / condor_history show it. */
export function buildAd(job) {
  const ad = new Ad();
  for (const [name, value] of job.meta.attrs) ad.set(name, reviveValue(value));
  const secs = (ms) => int(Math.floor(ms / 1000));
  ad.set('JobStatus', int(job.status));
  ad.set('EnteredCurrentStatus', secs(job.since));
  ad.set('NumJobStarts', int(job.startMs === undefined ? 0 : 1));
  ad.set('CompletionDate', int(0));
  if (job.startMs !== undefined) {
    ad.set('JobStartDate', secs(job.startMs));
    ad.set('JobCurrentStartDate', secs(job.startMs));
  }
  if (job.status === JOB_STATUS.RUNNING) ad.set('RemoteHost', str(`slot1@${hostName()}`));
  if (job.status === JOB_STATUS.COMPLETED) {
    const { rc, ms } = job.exit;
    // A shell reports death by signal N as status 128+N.
    if (rc > 128) {
      ad.set('ExitBySignal', bool(true));
      ad.set('ExitSignal', int(rc - 128));
    } else {
      ad.set('ExitBySignal', bool(false));
      ad.set('ExitCode', int(rc));
    }
    ad.set('CompletionDate', secs(ms));
    ad.set('RemoteWallClockTime', real(Math.max(0, Math.round((ms - (job.startMs ?? ms)) / 1000))));
  }
  if (job.status === JOB_STATUS.HELD) {
    ad.set('HoldReason', str(job.held.reason));
    ad.set('HoldReasonCode', int(job.held.code));
    ad.set('HoldReasonSubCode', int(job.held.subCode));
  }
  if (job.status === JOB_STATUS.REMOVED) ad.set('RemoveReason', str(job.removed.reason));
  return ad;
}
