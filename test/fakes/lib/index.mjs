// Test helper: a fresh simulated cluster per test. Types live in index.d.mts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunner, procSession, processesInSessions, readPid, readText, signal, sleepMs, writeAtomic } from './common.mjs';
import { buildAd, condorJobsDir, loadJobs } from './condor-jobs.mjs';
import { jobKey, loadLsfJobs, lsfJobsDir } from './lsf-jobs.mjs';

const BIN_DIR = fileURLToPath(new URL('../bin', import.meta.url));
const CONDOR_STATES = { 1: 'idle', 2: 'running', 3: 'removed', 4: 'completed', 5: 'held' };

function jobDirs(dir) {
  const list = (root) => {
    try {
      return fs.readdirSync(root).map((n) => path.join(root, n));
    } catch {
      return [];
    }
  };
  return [...list(condorJobsDir(dir)), ...list(lsfJobsDir(dir))].filter((d) => !d.endsWith('.tmp'));
}

// Sessions started by this cluster's runners. A session whose leader is gone
// (or a zombie) still counts: whatever is left in it is ours. A live leader
// must be our runner, or the pid was recycled and the session is someone else's.
function runnerSessions(dir) {
  const sessions = [];
  for (const jobDir of jobDirs(dir)) {
    const pid = readPid(path.join(jobDir, 'runner.pid'));
    if (!pid) continue;
    if (procSession(pid) === undefined) sessions.push({ session: pid, live: false });
    else if (isRunner(pid, jobDir)) sessions.push({ session: pid, live: true });
  }
  return sessions;
}

// Stop launchers that are still starting runners: .shutdown stops new ones,
// then each launcher's process group (it leads its own session) is killed.
function stopLaunchers(dir) {
  try {
    fs.writeFileSync(path.join(dir, '.shutdown'), '');
  } catch {
    return; // the folder is already gone
  }
  const root = path.join(dir, 'launchers');
  let names = [];
  try {
    names = fs.readdirSync(root).filter((n) => /^\d+$/.test(n));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name);
    const cmd = readText(`/proc/${pid}/cmdline`) ?? '';
    if (cmd.includes('launcher.sh') && cmd.includes(dir) && procSession(pid) === pid) signal(-pid, 'SIGKILL');
  }
}

// Kill every runner and every process in a runner's session (the jobs and
// anything they left running).
function killEverything(dir) {
  stopLaunchers(dir);
  const sessions = runnerSessions(dir);
  for (const s of sessions) if (s.live) signal(-s.session, 'SIGKILL');
  for (const p of processesInSessions(sessions.map((s) => s.session))) {
    signal(-p.pgrp, 'SIGKILL');
    signal(p.pid, 'SIGKILL');
  }
}

// One vocabulary for both systems; `native` keeps LSF's own word.
function lsfState(job) {
  if (job.stat === 'PEND') return 'idle';
  if (job.stat === 'RUN') return 'running';
  if (job.stat === 'PSUSP' || job.stat === 'USUSP') return 'held';
  if (job.stat === 'EXIT' && job.removed) return 'removed';
  return 'completed';
}

// Live processes of the jobs themselves (not the runners): everything in a
// runner's session outside the runner's own process group.
function jobProcesses(dir) {
  const sessions = runnerSessions(dir);
  return processesInSessions(sessions.map((s) => s.session))
    .filter((p) => p.pgrp !== p.session)
    .map((p) => ({ pid: p.pid, pgid: p.pgrp, command: (readText(`/proc/${p.pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ') }))
    .filter((p) => p.command !== '');
}

/** See index.d.mts for the documentation of each member. */
export function createFakeCluster(options = {}) {
  const dir = fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'b2-fake-cluster-'));
  const env = { ...process.env, ...(options.env ?? {}) };
  delete env.B2_FAKE_FAULTS;
  env.PATH = `${BIN_DIR}${path.delimiter}${env.PATH ?? ''}`;
  env.B2_FAKE_CLUSTER_DIR = dir;

  const cluster = {
    dir,
    binDir: BIN_DIR,
    env,
    setFaults(faults) {
      const file = path.join(dir, 'faults.json');
      const previous = JSON.parse(readText(file) ?? '{}');
      // A new generation restarts every count/skip fault.
      writeAtomic(file, JSON.stringify({ ...faults, generation: (previous.generation ?? 0) + 1 }));
    },
    calls() {
      return (readText(path.join(dir, 'calls.log')) ?? '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    },
    jobs() {
      const condor = loadJobs(dir, { unmaterialized: true }).map((j) => {
        const ad = buildAd(j);
        const reason = ad.get('HoldReason') ?? ad.get('RemoveReason');
        return {
          system: 'htcondor',
          id: j.id,
          state: CONDOR_STATES[j.status],
          native: String(j.status),
          exitCode: ad.get('ExitCode')?.v,
          signal: ad.get('ExitSignal')?.v,
          reason: reason?.v,
          pid: j.status === 2 ? readPid(path.join(j.dir, 'job.pid')) : undefined,
          dir: j.dir,
          materialized: j.materialized,
        };
      });
      const lsf = loadLsfJobs(dir).map((j) => ({
        system: 'lsf',
        id: jobKey(j),
        state: lsfState(j),
        native: j.stat,
        exitCode: j.exit?.rc,
        signal: j.exit && j.exit.rc > 128 ? j.exit.rc - 128 : undefined,
        reason: j.removed?.reason ?? (j.held ? j.held.reason : undefined),
        pid: j.stat === 'RUN' ? readPid(path.join(j.dir, 'job.pid')) : undefined,
        dir: j.dir,
      }));
      return [...condor, ...lsf];
    },
    runningProcesses() {
      return jobProcesses(dir);
    },
    async waitFor(predicate, { timeoutMs = 30_000, intervalMs = 50 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate(cluster.jobs());
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`waitFor timed out; jobs: ${JSON.stringify(cluster.jobs(), null, 1)}`);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
    cleanup() {
      // A command still running (say, after a test timed out) may add files
      // while the folder is deleted: kill again and retry.
      for (let attempt = 1; fs.existsSync(dir); attempt++) {
        killEverything(dir);
        try {
          fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
        } catch (e) {
          if (attempt >= 5) throw e;
          sleepMs(200);
        }
      }
    },
  };
  if (options.faults) cluster.setFaults(options.faults);
  return cluster;
}
