// LSF job records: one folder per job under <state>/lsf/jobs/<N> holding
// job.json (fixed at submit) and the marker files written by the runner and
// bkill. States follow "LSF terms and concepts": PEND RUN DONE EXIT PSUSP USUSP.
import fs from 'node:fs';
import path from 'node:path';
import { formatTime, isRunner, readPid, readText } from './common.mjs';
import { num } from './faults.mjs';

export const lsfJobsDir = (dir) => path.join(dir, 'lsf', 'jobs');

// Termination reasons as bjobs -l / bhist -l print them ("Termination reasons" in the LSF admin guide).
export const EXIT_REASONS = {
  TERM_OWNER: 'TERM_OWNER: job killed by owner',
  TERM_RUNLIMIT: 'TERM_RUNLIMIT: job killed after reaching LSF run time limit',
  TERM_MEMLIMIT: 'TERM_MEMLIMIT: job killed after reaching LSF memory usage limit',
};

function readMarker(jobDir, name) {
  const text = readText(path.join(jobDir, name));
  if (!text) return undefined; // absent, or created but not written yet
  const nl = text.indexOf('\n');
  return { head: (nl < 0 ? text : text.slice(0, nl)).trim().split(/\s+/), rest: nl < 0 ? '' : text.slice(nl + 1) };
}

/** Load one job folder; undefined when it vanished or is still being created. */
export function loadLsfJob(jobDir) {
  const metaText = readText(path.join(jobDir, 'job.json'));
  if (metaText === undefined) return undefined;
  const meta = JSON.parse(metaText);
  const job = { dir: jobDir, meta, id: meta.id };
  const started = readMarker(jobDir, 'started');
  const exit = readMarker(jobDir, 'exit');
  const removed = readMarker(jobDir, 'removed');
  const held = readMarker(jobDir, 'held');
  job.startMs = started ? Number(started.head[0]) : undefined;
  if (exit) job.exit = { rc: Number(exit.head[0]), ms: Number(exit.head[1]) };
  if (removed) job.removed = { ms: Number(removed.head[0]), reason: removed.rest.trim() };
  if (held) job.held = { ms: Number(held.head[0]), reason: held.rest };
  job.stat = stateOf(job);
  if (job.stat === 'DONE' || job.stat === 'EXIT') job.finishMs = job.exit?.ms ?? job.removed?.ms;
  return job;
}

function stateOf(job) {
  if (job.removed) {
    // A killed job shows RUN until its processes are actually gone.
    const dying = job.startMs !== undefined && !job.exit && isRunner(readPid(path.join(job.dir, 'runner.pid')), job.dir);
    if (dying) return 'RUN';
    return job.removed.reason === 'DONE' ? 'DONE' : 'EXIT';
  }
  if (job.held) return job.startMs === undefined ? 'PSUSP' : 'USUSP';
  if (job.exit) return job.exit.rc === 0 ? 'DONE' : 'EXIT';
  return job.startMs === undefined ? 'PEND' : 'RUN';
}

/** Every job still on disk, oldest first. */
export function loadLsfJobs(dir) {
  let names;
  try {
    names = fs.readdirSync(lsfJobsDir(dir));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .map((n) => {
      try {
        return loadLsfJob(path.join(lsfJobsDir(dir), n));
      } catch {
        return undefined;
      }
    })
    .filter(Boolean)
    .sort((a, b) => a.id - b.id);
}

export const isFinished = (job) => job.stat === 'DONE' || job.stat === 'EXIT';

/** Finished jobs are forgotten CLEAN_PERIOD seconds after they finish (default 1 hour). */
export const expired = (job, faults, now) => isFinished(job) && now > job.finishMs + num(faults, 'lsfCleanPeriodSec', 3600) * 1000;

// "Oct 22 09:22", the time format of bjobs' SUBMIT_TIME column.
export const lsfTime = (ms) => formatTime(ms, '%b %e %H:%M');

/** Field values for bjobs (empty string = no value). */
export function fieldValues(job, now) {
  const m = job.meta;
  const running = job.startMs !== undefined;
  const exitCode = job.stat === 'EXIT' && job.exit ? String(job.exit.rc) : '';
  const exitReason = job.stat === 'EXIT' && EXIT_REASONS[job.removed?.reason] ? EXIT_REASONS[job.removed.reason] : '';
  const pendReason = {
    PEND: 'New job is waiting for scheduling',
    PSUSP: 'The job was suspended by the user while pending',
  }[job.stat] ?? '';
  const end = job.finishMs ?? now;
  return {
    jobid: String(job.id),
    jobindex: '0',
    stat: job.stat,
    user: m.user,
    queue: m.queue,
    job_name: m.name,
    job_description: m.description ?? '',
    proj_name: m.project ?? 'default',
    from_host: m.fromHost,
    exec_host: running ? (m.slots > 1 ? `${m.slots}*${m.fromHost}` : m.fromHost) : '',
    first_host: running ? m.fromHost : '',
    nexec_host: running ? '1' : '',
    submit_time: lsfTime(m.subMs),
    start_time: running ? lsfTime(job.startMs) : '',
    finish_time: job.finishMs ? lsfTime(job.finishMs) : '',
    exit_code: exitCode,
    exit_reason: exitReason,
    pend_reason: pendReason,
    command: m.command,
    exec_cwd: running ? m.cwd : '',
    sub_cwd: m.subCwd,
    output_file: m.outputFile ?? '',
    error_file: m.errorFile ?? '',
    nreq_slot: String(m.slots),
    nalloc_slot: running ? String(m.slots) : '',
    slots: String(m.slots),
    run_time: `${running ? Math.max(0, Math.floor((end - job.startMs) / 1000)) : 0} second(s)`,
    runtimelimit: m.runLimitSec ? `${(m.runLimitSec / 60).toFixed(1)}/${m.fromHost}` : '',
    memlimit: m.memLimit ?? '',
    effective_resreq: m.resReq ?? '',
  };
}
