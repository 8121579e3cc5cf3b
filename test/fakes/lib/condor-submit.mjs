// condor_submit: parse the submit description, create one job folder per
// proc, write the 000 event and start each job's runner. Output and errors
// follow condor_submit.V6/submit.cpp (see README.md for the exact strings).
import fs from 'node:fs';
import path from 'node:path';
import { adToLong, Ad, ERROR, int, literalOf, parseExpr, str, unparse } from './classad.mjs';
import { Exit, hostName, nextIds, userName, writeAtomic } from './common.mjs';
import {
  SubmitFileError,
  expandMacros,
  expandProcs,
  parseArguments,
  parseEnvironment,
  parseMegabytes,
  parseSubmitFile,
  procLookup,
  selectGetenv,
} from './condor-submit-file.mjs';
import { SCHEDD_ADDR, STARTD_ADDR, condorJobsDir, eventId, eventText, userLogDateFormat } from './condor-jobs.mjs';
import { num, pause, take, withNewline } from './faults.mjs';
import { launchJobs } from './launch.mjs';

// Every failure: stderr gets a blank line then the message; the exit status is 1.
const fail = (message, status = 1) => new Exit(status, `\n${withNewline(message)}`);

function parseArgs(argv) {
  const opts = { file: undefined, terse: false, verbose: false, batchName: undefined, appends: [], macros: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const opt = a.replace(/^--/, '-').toLowerCase();
    if (a === '-') opts.file = '-';
    else if (opt === '-terse') opts.terse = true;
    else if (opt === '-verbose' || opt === '-v') opts.verbose = true;
    else if (opt === '-batch-name') opts.batchName = argv[++i];
    else if (opt === '-append' || opt === '-a') opts.appends.push(argv[++i]);
    else if (['-name', '-pool', '-remote', '-addr'].includes(opt)) i++; // one local schedd only
    else if (['-spool', '-disable', '-debug', '-unused', '-allow-crlf-script'].includes(opt)) continue;
    else if (a.startsWith('-')) throw fail(`ERROR: unknown command-line option ${a}`);
    else if (/^[A-Za-z_][\w.]*=/.test(a)) {
      const eq = a.indexOf('=');
      opts.macros[a.slice(0, eq).toLowerCase()] = a.slice(eq + 1);
    } else opts.file = a;
  }
  return opts;
}

function readDescription(opts) {
  try {
    const text = opts.file === undefined || opts.file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(opts.file, 'utf8');
    if (!opts.appends.length) return text;
    // -append lines count as if written just before the first queue statement.
    const lines = text.split(/\r?\n/);
    const q = lines.findIndex((l) => /^\s*queue\b/i.test(l));
    lines.splice(q < 0 ? lines.length : q, 0, ...opts.appends);
    return lines.join('\n');
  } catch {
    throw fail('ERROR: Failed to open command file (No such file or directory)');
  }
}

// Walltime policies b2 writes: `periodic_remove = ... (time() - EnteredCurrentStatus) > N`
// style expressions, RemoteWallClockTime > N, or allowed_job_duration = N.
function walltimeFromPeriodicRemove(expr) {
  const m =
    /\(?\s*(?:time\(\)|CurrentTime|ServerTime)\s*-\s*(?:EnteredCurrentStatus|JobCurrentStartDate|JobStartDate)\s*\)?\s*>=?\s*(\d+)/i.exec(expr) ??
    /RemoteWallClockTime\s*>=?\s*(\d+)/i.exec(expr);
  return m ? Number(m[1]) : undefined;
}

// format_time_short from HTCondor's format_time.cpp: "ddd+hh:mm:ss" minus leading zeros.
function formatTimeShort(secs) {
  const d = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  const full = `${String(d).padStart(3, ' ')}+${[h, m, s].map((n) => String(n).padStart(2, '0')).join(':')}`;
  let i = 0;
  while (i < full.length && ' 0+'.includes(full[i])) i++;
  if (full[i] === ':') i++;
  return full.slice(i);
}

const UNIVERSES = { vanilla: 5, scheduler: 7, local: 12, docker: 5, container: 5, parallel: 11 };

/** Resolve one proc's description into the job ad, runner settings and environment. */
function resolveProc(proc, cluster, procId, ctx) {
  const { opts, cwd, faults, dir, cmd } = ctx;
  const lookup = procLookup(proc, cluster, procId, opts.macros);
  const get = (...keys) => {
    for (const k of keys) {
      const s = proc.settings.get(k);
      if (s !== undefined) return expandMacros(s.value, lookup, process.env);
    }
    return undefined;
  };

  const executable = get('executable');
  if (!executable) throw fail("ERROR: No 'executable' parameter was provided");
  const exe = path.resolve(cwd, executable);
  if (!fs.existsSync(exe)) throw fail(`ERROR: Can't access executable file ${exe}: No such file or directory`);
  const iwd = path.resolve(cwd, get('initialdir', 'initial_dir', 'iwd') ?? '.');
  if (!fs.statSync(iwd, { throwIfNoEntry: false })?.isDirectory()) throw fail(`ERROR: No such directory: ${iwd}`);

  const owner = userName();
  const qdateMs = Date.now();
  const attrs = new Ad();
  const out = get('output') ?? '/dev/null';
  const errFile = get('error') ?? '/dev/null';
  const input = get('input') ?? '/dev/null';
  const log = get('log');
  const cpus = Number(get('request_cpus') ?? 1) || 1;
  const memory = parseMegabytes(get('request_memory') ?? '0') ?? 0;
  const disk = Math.ceil((parseMegabytes(get('request_disk') ?? '0K') ?? 0) * 1024);
  attrs
    .set('ClusterId', int(cluster))
    .set('ProcId', int(procId))
    .set('Owner', str(owner))
    .set('User', str(`${owner}@${hostName()}`))
    .set('Cmd', str(exe))
    .set('Iwd', str(iwd))
    .set('JobUniverse', int(UNIVERSES[(get('universe') ?? 'vanilla').toLowerCase()] ?? 5))
    .set('MyType', str('Job'))
    .set('TargetType', str('Machine'))
    .set('QDate', int(Math.floor(qdateMs / 1000)))
    .set('JobPrio', int(Number(get('priority') ?? 0)))
    .set('RequestCpus', int(cpus))
    .set('RequestMemory', int(memory))
    .set('RequestDisk', int(disk))
    .set('Out', str(out))
    .set('Err', str(errFile))
    .set('In', str(input))
    .set('GlobalJobId', str(`${hostName()}#${cluster}.${procId}#${Math.floor(qdateMs / 1000)}`));
  const ulog = log ? path.resolve(iwd, log) : '';
  if (ulog) attrs.set('UserLog', str(ulog));

  const argsText = get('arguments', 'args');
  const { argv, newSyntax } = argsText ? parseArguments(argsText) : { argv: [], newSyntax: false };
  if (argsText) attrs.set(newSyntax ? 'Arguments' : 'Args', str(newSyntax ? argsText.trim().slice(1, -1) : argsText));
  const envText = get('environment', 'env');
  if (envText) attrs.set('Environment', str(envText.trim().replace(/^"(.*)"$/s, '$1')));

  const batchName = opts.batchName ?? get('batch_name') ?? (faults.condorBareJobBatchName === 'set' ? get('jobbatchname') : undefined);
  if (batchName !== undefined) attrs.set('JobBatchName', str(batchName));

  // Walltime: the smaller of a recognised periodic_remove limit and allowed_job_duration.
  let walltime;
  const periodicRemove = get('periodic_remove');
  if (periodicRemove) {
    try {
      attrs.set('PeriodicRemove', { t: 'expr', ast: parseExpr(periodicRemove) });
    } catch {
      throw fail(`ERROR: Parse error in expression: \n\tPeriodicRemove = ${periodicRemove}`);
    }
    const n = walltimeFromPeriodicRemove(periodicRemove);
    if (n !== undefined) {
      walltime = { ms: n * 1000, action: 'remove', reason: `The job attribute PeriodicRemove expression '${unparse(parseExpr(periodicRemove))}' evaluated to TRUE` };
    }
  }
  const allowed = get('allowed_job_duration');
  if (allowed) {
    const n = Number(allowed);
    attrs.set('AllowedJobDuration', int(n));
    if (!walltime || n * 1000 < walltime.ms) {
      walltime = { ms: n * 1000, action: 'hold', reason: `The job exceeded allowed job duration of ${formatTimeShort(n)}` };
    }
  }

  const transferMode = (get('should_transfer_files') ?? 'IF_NEEDED').toUpperCase();
  attrs.set('ShouldTransferFiles', str(transferMode));
  const transferIn = (get('transfer_input_files') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const transferOut = (get('transfer_output_files') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (transferIn.length) attrs.set('TransferInput', str(transferIn.join(',')));
  if (transferOut.length) attrs.set('TransferOutput', str(transferOut.join(',')));
  const whenToTransfer = get('when_to_transfer_output');
  if (whenToTransfer) attrs.set('WhenToTransferOutput', str(whenToTransfer.toUpperCase()));

  // Custom +Attr / MY.Attr values are ClassAd expressions: strings need quotes.
  for (const a of proc.attrs) {
    const text = expandMacros(a.value, lookup, process.env);
    let ast;
    try {
      ast = parseExpr(text);
    } catch {
      throw new SubmitFileError(a.no);
    }
    attrs.set(a.name, literalOf(ast) ?? { t: 'expr', ast });
  }

  // Late materialization (condor_submit manual, "max_materialize", "max_idle"):
  // procs enter the queue only while the cluster has fewer than N in it (or N idle).
  const limit = (key, attr) => {
    const v = get(...key);
    if (v === undefined) return 0;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw fail(`ERROR: ${key[0]} must be a positive integer, not "${v}"`);
    attrs.set(attr, int(n));
    return n;
  };
  const matLimit = limit(['max_materialize', 'materialize_max'], 'JobMaterializeLimit');
  const idleLimit = limit(['max_idle', 'materialize_max_idle'], 'JobMaterializeMaxIdle');

  const jobDir = path.join(condorJobsDir(dir), `${cluster}.${procId}`);
  const scratch = path.join(dir, 'condor', 'scratch', `${cluster}.${procId}`);
  const transfer = transferMode === 'YES';
  const stdoutPath = path.resolve(iwd, out);
  const stderrPath = path.resolve(iwd, errFile);
  const hold = take(dir, faults, 'hold', cmd);
  const vanish = take(dir, faults, 'vanish', cmd);
  const vars = {
    SYS: 'condor',
    CWD: transfer ? scratch : iwd,
    EXE: exe,
    STDIN_PATH: path.resolve(iwd, input),
    STDOUT_PATH: stdoutPath,
    STDERR_PATH: stderrPath === stdoutPath && stdoutPath !== '/dev/null' ? '' : stderrPath,
    START_DELAY_MS: num(faults, 'startDelayMs', 0),
    MAX_RUNNING: num(faults, 'maxRunning', 0),
    SLOTS_DIR: path.join(dir, 'slots'),
    WALLTIME_MS: walltime?.ms ?? 0,
    WALLTIME_ACTION: walltime?.action ?? 'remove',
    WALLTIME_REASON: walltime?.reason ?? '',
    HOLD_AFTER_MS: hold ? Number(hold.afterMs ?? 0) : -1,
    HOLD_CODE: hold ? Number(hold.code ?? 1) : 0,
    HOLD_SUBCODE: hold ? Number(hold.subCode ?? 0) : 0,
    HOLD_REASON: hold ? hold.reason ?? `via condor_hold (by user ${owner})` : '',
    VANISH_AFTER_MS: vanish ? Number(vanish.afterMs ?? 0) : -1,
    KILL_INTERVAL_MS: num(faults, 'killIntervalMs', 1000),
    KILL_SIGS_REMOVE: ['TERM', 'KILL'],
    ULOG: ulog,
    EVID: eventId(cluster, procId),
    DATEFMT: userLogDateFormat(faults),
    EXEC_HOST: STARTD_ADDR,
    HOST: hostName(),
    TRANSFER: transfer ? 1 : 0,
    SCRATCH: scratch,
    IWD: iwd,
    TRANSFER_IN: transferIn.map((f) => path.resolve(iwd, f)),
    TRANSFER_OUT: transferOut,
    REQUEST_CPUS: cpus,
    REQUEST_MEMORY: memory,
    REQUEST_DISK: disk,
    MAT_LIMIT: matLimit,
    MAT_DIR: path.join(dir, 'condor', 'materialize', String(cluster)),
    IDLE_LIMIT: idleLimit,
    IDLE_DIR: path.join(dir, 'condor', 'idle', String(cluster)),
    SCHEDD_ADDR,
    PREV_JOBDIR: procId > 0 ? path.join(condorJobsDir(dir), `${cluster}.${procId - 1}`) : '',
  };
  // The starter's own variables win over getenv/environment, as in HTCondor.
  const env = {
    ...selectGetenv(get('getenv') ?? 'false', process.env),
    ...(envText ? parseEnvironment(envText) : {}),
    _CONDOR_SCRATCH_DIR: scratch,
    _CONDOR_SLOT: 'slot1',
    _CONDOR_JOB_IWD: iwd,
    TMPDIR: scratch,
    TMP: scratch,
    TEMP: scratch,
    OMP_NUM_THREADS: String(cpus),
    BATCH_SYSTEM: 'HTCondor',
  };
  return { cluster, procId, jobDir, scratch, ulog, qdateMs, attrs, vars, argv, env, late: matLimit > 0 || idleLimit > 0 };
}

// Tagged values for job.json: expressions are stored as text.
const storable = (v) => (v.t === 'expr' ? { t: 'expr', text: unparse(v.ast) } : v === ERROR ? { t: 'error' } : v);

export function main(ctx) {
  const { cmd, argv, dir, faults, out, err } = ctx;
  const opts = parseArgs(argv);
  const injected = take(dir, faults, 'submitError', cmd);
  if (injected) {
    throw fail(injected.message ?? 'ERROR: Failed to connect to local queue manager\nAUTHENTICATE:1003:Failed to authenticate with any method', Number(injected.exitCode ?? 1));
  }
  const cwd = process.cwd();
  let procs;
  try {
    procs = expandProcs(parseSubmitFile(readDescription(opts), cwd));
  } catch (e) {
    if (e instanceof SubmitFileError) throw fail(e.message);
    throw e;
  }
  if (!procs.length) throw fail('ERROR: no queue statement in the submit description');

  // A new cluster starts wherever the executable changes between queue statements (condor_submit manual).
  const clusterOf = [];
  procs.forEach((p, i) => {
    const changed = i > 0 && p.settings.get('executable')?.value !== procs[i - 1].settings.get('executable')?.value;
    clusterOf.push(i === 0 ? 0 : clusterOf[i - 1] + (changed ? 1 : 0));
  });
  const clusterCount = clusterOf[clusterOf.length - 1] + 1;
  const firstCluster = nextIds(dir, 'condor-cluster', clusterCount, num(faults, 'condorFirstClusterId', 1));
  let jobs;
  try {
    let procId = 0;
    jobs = procs.map((p, i) => {
      procId = i > 0 && clusterOf[i] === clusterOf[i - 1] ? procId + 1 : 0;
      return resolveProc(p, firstCluster + clusterOf[i], procId, { opts, cwd, faults, dir, cmd });
    });
  } catch (e) {
    if (e instanceof SubmitFileError) throw fail(e.message);
    throw e;
  }

  const dateFormat = userLogDateFormat(faults);
  for (const job of jobs) {
    // A late-materialized proc gets its 000 event when it enters the queue (runner.sh).
    if (job.ulog && !job.late) {
      try {
        fs.appendFileSync(job.ulog, eventText('000', eventId(job.cluster, job.procId), job.qdateMs, `Job submitted from host: ${SCHEDD_ADDR}`, dateFormat));
      } catch (e) {
        throw fail(`ERROR: Invalid log file: "${job.ulog}" (${e.code === 'ENOENT' ? 'No such file or directory' : e.message})`);
      }
    }
    fs.mkdirSync(job.jobDir, { recursive: true });
    fs.mkdirSync(job.scratch, { recursive: true });
    const meta = {
      system: 'condor',
      id: `${job.cluster}.${job.procId}`,
      cluster: job.cluster,
      proc: job.procId,
      qdateMs: job.qdateMs,
      owner: userName(),
      ulog: job.ulog,
      ...(job.late ? { late: true } : {}),
      attrs: job.attrs.sorted().map(({ name, value }) => [name, storable(value)]),
    };
    writeAtomic(path.join(job.jobDir, 'job.json'), JSON.stringify(meta));
  }
  launchJobs(dir, jobs);
  pause(num(faults, 'submitLatencyMs', 0));

  const n = jobs.length;
  const clusters = [...new Set(jobs.map((job) => job.cluster))].map((id) => ({ id, procs: jobs.filter((job) => job.cluster === id).length }));
  if (opts.terse) out(clusters.map((c) => `${c.id}.0 - ${c.id}.${c.procs - 1}\n`).join(''));
  else if (opts.file === '-' || opts.file === undefined || opts.verbose) {
    // Verbose mode (implied by a description on stdin) prints each job ad.
    for (const job of jobs) {
      const ad = new Ad();
      for (const { name, value } of job.attrs.sorted()) ad.set(name, value);
      ad.set('JobStatus', int(1)).set('EnteredCurrentStatus', int(Math.floor(job.qdateMs / 1000)));
      out(`** Proc ${job.cluster}.${job.procId}:\n${adToLong(ad)}\n`);
    }
  } else out(`Submitting job(s)${'.'.repeat(n)}\n${clusters.map((c) => `${c.procs} job(s) submitted to cluster ${c.id}.\n`).join('')}`);
  if (faults.condorWatchHint) err(`To monitor your job(s), run: condor_watch_q -clusters ${clusters.map((c) => c.id).join(' ')}\n`);
  return 0;
}
