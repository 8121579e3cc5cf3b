// bsub: validate the options (command line first, then #BSUB lines of a
// script read from stdin), create the job folder and start its runner.
// Messages follow the IBM bsub manual and real output captured by other
// projects' tests (see README.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exit, hostName, nextIds, userName, writeAtomic } from './common.mjs';
import { num, pause, take, withNewline } from './faults.mjs';
import { launchJobs } from './launch.mjs';
import { lsfJobsDir } from './lsf-jobs.mjs';

const reject = (message) => new Exit(255, withNewline(message));

const WITH_VALUE = new Set(['-J', '-Jd', '-q', '-n', '-o', '-oo', '-e', '-eo', '-env', '-W', '-M', '-R', '-cwd', '-P', '-G', '-u', '-i', '-m', '-app', '-g', '-sla', '-L', '-b', '-t', '-c', '-We', '-k', '-C', '-D', '-F', '-S', '-v', '-p', '-T']);
const FLAGS = new Set(['-B', '-N', '-x', '-r', '-rn', '-H', '-hl', '-ul']);

// Split a #BSUB line like a shell would (quotes group, backslash escapes).
function shellSplit(s) {
  const words = [];
  let cur = '';
  let quote = null;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
}

// Options into a map (last one wins, -R accumulates); the rest is the command.
function parseOptions(argv, into = { opts: new Map(), command: [] }, fromScript = false) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (WITH_VALUE.has(a)) {
      if (i + 1 >= argv.length) throw reject(`${a}: option requires an argument. Job not submitted.`);
      const v = argv[++i];
      if (a === '-R') into.opts.set('-R', [...(into.opts.get('-R') ?? []), v]);
      else if (!fromScript || !into.opts.has(a)) into.opts.set(a, v);
    } else if (FLAGS.has(a)) into.opts.set(a, true);
    else if (a.startsWith('-') && into.command.length === 0 && !fromScript) {
      throw reject(`bsub: option ${a} is not supported by the b2 batch simulator. Job not submitted.`);
    } else if (!fromScript) {
      into.command = argv.slice(i);
      break;
    }
  }
  return into;
}

// #BSUB lines before the first command line act like options (the command line wins).
function scriptDirectives(script) {
  const words = [];
  for (const line of script.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || (t.startsWith('#') && !t.startsWith('#BSUB'))) continue;
    if (!t.startsWith('#BSUB')) break;
    words.push(...shellSplit(t.slice(5)));
  }
  return words;
}

// -R "select[..] rusage[..] span[..]": the checks behind LSF's documented rejections.
function checkResReq(req) {
  const seen = new Set();
  for (const m of req.matchAll(/(\w+)\s*\[([^\]]*)\]?/g)) {
    const section = m[1];
    if (seen.has(section)) throw reject(`Error near "${section}" : duplicate section. Job not submitted.`);
    seen.add(section);
    if (section === 'rusage') {
      const ok = m[0].endsWith(']') && m[2].split(/[:,]/).every((item) => /^\s*[A-Za-z_]\w*\s*=\s*[\w.\-/]+\s*$/.test(item));
      if (!ok) throw reject('Error in rusage section. Job not submitted.');
    }
  }
}

// -W [hour:]minute → minutes.
/** -M in KB: a bare number is in KB (LSF_UNIT_FOR_LIMITS unset), or with its unit. The trailing "!" (hard limit) changes nothing here. */
function memoryLimitKb(value) {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)B?!?$/i.exec(value);
  const factor = { '': 1, K: 1, M: 1024, G: 1024 ** 2, T: 1024 ** 3 }[m[2].toUpperCase()];
  return Math.ceil(Number(m[1]) * factor);
}

function runLimitMinutes(value) {
  const m = /^(?:(\d+):)?(\d+)$/.exec(value);
  if (!m) throw reject(`${value}: Bad RUNLIMIT specification. Job not submitted.`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

// -env "all | none [, ~VAR] [, VAR=value] | VAR[=value], ..."
function jobEnvironment(spec, base) {
  const items = (spec ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
  const minimal = { HOME: os.homedir(), USER: userName(), LOGNAME: userName(), PATH: '/usr/local/bin:/usr/bin:/bin' };
  let env = items[0]?.toLowerCase() === 'all' ? { ...base } : minimal;
  for (const item of items) {
    if (/^(all|none)$/i.test(item)) continue;
    if (item.startsWith('~')) delete env[item.slice(1)];
    else if (item.includes('=')) env[item.slice(0, item.indexOf('='))] = item.slice(item.indexOf('=') + 1);
    else if (base[item] !== undefined) env[item] = base[item];
  }
  return env;
}

export function main({ cmd, argv, dir, faults, out }) {
  const parsed = parseOptions(argv);
  let script;
  if (parsed.command.length === 0) {
    script = fs.readFileSync(0, 'utf8');
    if (script.trim() === '') throw reject('Empty job. Job not submitted.');
    parseOptions(scriptDirectives(script), parsed, true);
  }
  const injected = take(dir, faults, 'submitError', cmd);
  if (injected) throw new Exit(Number(injected.exitCode ?? 255), withNewline(injected.message ?? 'Request from non-LSF host rejected'));

  const o = parsed.opts;
  const queues = faults.lsfQueues ?? ['normal'];
  const defaultQueue = faults.lsfDefaultQueue ?? queues[0];
  const queue = o.get('-q') ?? defaultQueue;
  if (!queues.includes(queue)) throw reject('No such queue. Job not submitted');
  const slots = Number(o.get('-n') ?? 1);
  if (!(slots >= 1)) throw reject(`${o.get('-n')}: Bad argument for option -n. Job not submitted.`);
  if (slots > num(faults, 'lsfMaxSlots', 64)) throw reject('Too many processors requested. Job not submitted.');
  for (const r of o.get('-R') ?? []) checkResReq(r);
  // lsfSecondsPerRunLimitMinute lets tests shrink -W minutes to seconds.
  const runLimitSec = o.has('-W') ? runLimitMinutes(o.get('-W')) * num(faults, 'lsfSecondsPerRunLimitMinute', 60) : 0;
  if (o.has('-M') && !/^\d+(\.\d+)?\s*([KMGT]B?)?!?$/i.test(o.get('-M'))) throw reject(`${o.get('-M')}: Bad memory limit specification. Job not submitted.`);

  const subCwd = process.cwd();
  const cwd = path.resolve(subCwd, o.get('-cwd') ?? '.');
  const id = nextIds(dir, 'lsf-job', 1, num(faults, 'lsfFirstJobId', 1));
  const jobDir = path.join(lsfJobsDir(dir), String(id));
  fs.mkdirSync(jobDir, { recursive: true });
  const subst = (p) => p.replace(/%J/g, String(id)).replace(/%I/g, '0');
  const outFlag = o.has('-oo') ? '-oo' : o.has('-o') ? '-o' : undefined;
  const errFlag = o.has('-eo') ? '-eo' : o.has('-e') ? '-e' : undefined;
  const outputFile = outFlag ? subst(o.get(outFlag)) : undefined;
  const errorFile = errFlag ? subst(o.get(errFlag)) : undefined;

  let exe;
  let args;
  let commandText;
  if (script !== undefined) {
    const file = path.join(jobDir, 'job.script');
    fs.writeFileSync(file, script, { mode: 0o755 });
    [exe, args] = script.startsWith('#!') ? [file, []] : ['/bin/sh', [file]];
    commandText = script.replace(/\n$/, '');
  } else {
    // LSF runs the command line through a shell, as typed (arguments joined by
    // spaces); bash -c execs a single command, so signals reach the job itself.
    commandText = parsed.command.join(' ');
    [exe, args] = ['/bin/bash', ['-c', commandText]];
  }
  const name = o.get('-J') ?? (script !== undefined ? commandText.split('\n').find((l) => l.trim() && !l.startsWith('#'))?.trim() ?? 'job' : commandText);
  const user = userName();
  const host = hostName();
  const subMs = Date.now();
  const meta = {
    system: 'lsf',
    id,
    name,
    description: o.get('-Jd'),
    queue,
    user,
    fromHost: host,
    subMs,
    cwd,
    subCwd,
    command: commandText,
    outputFile,
    errorFile,
    slots,
    runLimitSec,
    memLimit: o.get('-M'),
    resReq: (o.get('-R') ?? []).join(' '),
    project: o.get('-P'),
  };
  writeAtomic(path.join(jobDir, 'job.json'), JSON.stringify(meta));

  const env = {
    ...jobEnvironment(o.get('-env'), process.env),
    LSB_JOBID: String(id),
    LSB_JOBNAME: name,
    LSB_QUEUE: queue,
    LSB_JOBINDEX: '0',
    LSB_HOSTS: Array(slots).fill(host).join(' '),
    LSB_MCPU_HOSTS: `${host} ${slots}`,
    LSB_DJOB_NUMPROC: String(slots),
    LSB_MAX_NUM_PROCESSORS: String(slots),
    LSB_SUB_HOST: host,
    LS_SUBCWD: subCwd,
    ...(outputFile ? { LSB_OUTPUTFILE: outputFile } : {}),
    ...(errorFile ? { LSB_ERRORFILE: errorFile } : {}),
  };
  const hold = take(dir, faults, 'hold', cmd);
  const vanish = take(dir, faults, 'vanish', cmd);
  const holdAfter = o.get('-H') ? 0 : hold ? Number(hold.afterMs ?? 0) : -1;
  const resolve = (p) => path.resolve(cwd, p);
  launchJobs(dir, [{
    jobDir,
    vars: {
      SYS: 'lsf',
      CWD: cwd,
      EXE: exe,
      STDIN_PATH: o.has('-i') ? resolve(subst(o.get('-i'))) : '/dev/null',
      STDOUT_PATH: outputFile ? resolve(outputFile) : '/dev/null',
      STDOUT_MODE: outFlag === '-oo' ? 'trunc' : 'append',
      // With -o and no -e, stderr goes into the output file.
      STDERR_PATH: errorFile ? resolve(errorFile) : outputFile ? '' : '/dev/null',
      STDERR_MODE: errFlag === '-eo' ? 'trunc' : 'append',
      START_DELAY_MS: num(faults, 'startDelayMs', 0),
      MAX_RUNNING: num(faults, 'maxRunning', 0),
      SLOTS_DIR: path.join(dir, 'slots'),
      WALLTIME_MS: runLimitSec * 1000,
      WALLTIME_ACTION: 'remove',
      WALLTIME_REASON: 'TERM_RUNLIMIT',
      // LSF enforces -M on the job's resident memory (LSB_JOB_MEMLIMIT): checked a few times a second here.
      MEM_LIMIT_KB: o.has('-M') ? memoryLimitKb(o.get('-M')) : 0,
      HOLD_AFTER_MS: holdAfter,
      HOLD_REASON: holdAfter === 0 ? 'The job was suspended by the user while pending' : 'The job was suspended by user',
      VANISH_AFTER_MS: vanish ? Number(vanish.afterMs ?? 0) : -1,
      KILL_INTERVAL_MS: num(faults, 'killIntervalMs', 1000),
      KILL_SIGS_REMOVE: ['INT', 'TERM', 'KILL'],
      HOST: host,
      REPORT: faults.lsfJobReport === false ? 0 : 1,
      LSF_JOBID: id,
      JOB_NAME: name,
      QUEUE: queue,
      CLUSTER: 'cluster1',
      USER_NAME: user,
      HOME_DIR: os.homedir(),
      COMMAND_TEXT: commandText,
      SUB_MS: subMs,
    },
    argv: args,
    env,
  }]);
  pause(num(faults, 'submitLatencyMs', 0));
  if (faults.lsfSubmitBanner) out(withNewline(faults.lsfSubmitBanner));
  const always = faults.lsfQueueWording === 'always-queue';
  out(o.has('-q') || always ? `Job <${id}> is submitted to queue <${queue}>.\n` : `Job <${id}> is submitted to default queue <${queue}>.\n`);
  return 0;
}
