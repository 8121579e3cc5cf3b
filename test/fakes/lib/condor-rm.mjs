// condor_rm: mark jobs removed (RemoveReason, 009 event) and ask their runner
// to kill the job's process group. Messages and exit codes follow
// condor_rm.V6/rm.cpp and condor_rm.rst (see README.md).
import fs from 'node:fs';
import path from 'node:path';
import { matches, parseExpr } from './classad.mjs';
import { Exit, createExclusive, pokeRunner, userName } from './common.mjs';
import { JOB_STATUS, buildAd, eventId, eventText, inQueue, loadJobs, userLogDateFormat } from './condor-jobs.mjs';

function parseArgs(argv) {
  const o = { targets: [], reason: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const lower = a.replace(/^--/, '-').toLowerCase();
    if (lower === '-all') o.targets.push({ kind: 'all' });
    else if (lower === '-constraint') {
      const text = argv[++i] ?? '';
      let ast;
      try {
        ast = parseExpr(text);
      } catch {
        throw new Exit(1, `\n-- Parse error in constraint expression "${text}"\n`);
      }
      o.targets.push({ kind: 'constraint', text, ast });
    } else if (lower === '-reason') o.reason = argv[++i];
    else if (['-name', '-pool', '-addr'].includes(lower)) i++;
    else if (['-forcex', '-debug'].includes(lower)) continue;
    else if (a.startsWith('-')) throw new Exit(1, `Error: unrecognized argument ${a}\n`);
    else if (/^\d+\.\d+$/.test(a)) o.targets.push({ kind: 'job', id: a });
    else if (/^\d+$/.test(a)) o.targets.push({ kind: 'cluster', cluster: Number(a) });
    else o.targets.push({ kind: 'user', user: a });
  }
  if (!o.targets.length) throw new Exit(1, 'condor_rm: you must specify at least one job, cluster, user, -constraint or -all\n');
  return o;
}

// Mark one job removed; false when someone else removed it first.
function removeJob(job, reason, faults) {
  const now = Date.now();
  if (!createExclusive(path.join(job.dir, 'removed'), `${now}\n${reason}`)) return false;
  if (job.meta.ulog && job.materialized) {
    try {
      fs.appendFileSync(job.meta.ulog, eventText('009', eventId(job.cluster, job.proc), now, `Job was aborted.\n\t${reason}`, userLogDateFormat(faults)));
    } catch {
      // an unwritable log does not stop the removal
    }
  }
  pokeRunner(job.dir);
  return true;
}

export function main({ argv, dir, faults, out, err }) {
  const o = parseArgs(argv);
  const now = Date.now();
  const everyJob = loadJobs(dir, { unmaterialized: true }).filter((j) => inQueue(j, faults, now));
  const queue = everyJob.filter((j) => j.materialized);
  if (queue.length === 0 && faults.condorRmEmptyQueue === 'message') {
    out('There are no jobs in the queue\n');
    return 0;
  }
  const reason = `${o.reason ?? 'via condor_rm'} (by user ${userName()})`;
  let failed = false;
  for (const t of o.targets) {
    if (t.kind === 'job') {
      const job = queue.find((j) => j.id === t.id);
      if (!job) {
        err(`Job ${t.id} not found\n`);
        failed = true;
      } else if (job.status === JOB_STATUS.REMOVED || !removeJob(job, reason, faults)) {
        err(`Job ${t.id} already marked for removal\n`);
        failed = true;
      } else out(`Job ${t.id} marked for removal\n`);
      continue;
    }
    const pick = {
      cluster: (j) => j.cluster === t.cluster,
      user: (j) => j.meta.owner === t.user,
      constraint: (j) => matches(t.ast, buildAd(j), now),
      all: () => true,
    }[t.kind];
    const what = {
      cluster: `in cluster ${t.cluster}`,
      user: `of user ${t.user}`,
      constraint: `matching constraint (${t.text})`,
      all: '',
    }[t.kind];
    // Removing a cluster (or user, or all) also drops the procs it has not materialized yet.
    const pool = t.kind === 'constraint' ? queue : everyJob;
    // Procs still waiting to materialize go first, so the room a removed proc frees is never taken by one of them.
    const targets = pool.filter((j) => j.status !== JOB_STATUS.REMOVED && pick(j)).sort((a, b) => Number(a.materialized) - Number(b.materialized));
    const removed = targets.filter((j) => removeJob(j, reason, faults)).length;
    if (removed > 0) out(`All jobs ${what ? `${what} ` : ''}have been marked for removal\n`);
    else {
      err(`Couldn't find/remove all jobs${what ? ` ${what}` : ''}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
