// condor_q and condor_history over the simulated queue. Output forms follow
// HTCondor's condor_q.V6/queue.cpp, condor_tools/history.cpp and
// classad/jsonSink.cpp (README.md lists what each option prints).
import path from 'node:path';
import { adToJson, adToLong, evaluate, matches, parseExpr, valueToAf, valueToJson } from './classad.mjs';
import { Exit, formatTime, hostName } from './common.mjs';
import { JOB_STATUS, STATUS_LETTER, buildAd, inHistory, inQueue, loadJobs } from './condor-jobs.mjs';
import { applyQueryFaults } from './faults.mjs';

const SCHEDD_SHORT = '<127.0.0.1:9618?...';
const FETCH_ADDR = '<127.0.0.1:9618?addrs=127.0.0.1-9618&noUDP&sock=schedd_1_a>';

// What condor_q prints when it cannot find a schedd (wrapped as HTCondor wraps it).
const NO_SCHEDD = `Error: Could not find the local condor_schedd

Extra Info: You probably saw this error because the condor_schedd is not running
on the machine you are trying to query. If the condor_schedd is not running, the
Condor system will not be able to find an address and port to connect to and
satisfy this request. Please make sure the Condor daemons are running and try
again.

Extra Info: If the condor_schedd is running on the machine you are trying to
query and you still see the error, the most likely cause is that you have setup
a personal Condor, you have not defined SCHEDD_NAME in your condor_config file,
and something is wrong with your SCHEDD_ADDRESS_FILE setting. You must define
either or both of those settings in your config file, or you must use the -name
option to condor_q. Please see the Condor manual for details on SCHEDD_NAME and
SCHEDD_ADDRESS_FILE.
`;

function queryFailure(spec) {
  if (spec.kind === 'locate') return { status: 1, stderr: NO_SCHEDD };
  return { status: 1, stderr: `\n-- Failed to fetch ads from: ${FETCH_ADDR} : ${hostName()}\nSECMAN:2007:Failed to end classad message.\n` };
}

function parseArgs(argv, history) {
  const o = { mode: 'table', nobatch: false, totalsOnly: false, attributes: undefined, af: undefined, constraints: [], selectors: [], limit: Infinity, forwards: false };
  const badConstraint = (c) => new Exit(1, `\n-- Parse error in constraint expression "${c}"\n`);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const opt = a.replace(/^--/, '-');
    const lower = opt.toLowerCase();
    const af = /^-(?:af|autoformat)(?::(\w*))?$/i.exec(opt);
    if (lower === '-json') o.mode = 'json';
    else if (lower === '-jsonl' && history) o.mode = 'jsonl';
    else if (lower === '-long' || lower === '-l') o.mode = 'long';
    else if (af) {
      o.mode = 'af';
      o.af = { quals: af[1] ?? '', exprs: [] };
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) {
        const text = argv[++i];
        try {
          o.af.exprs.push({ text, ast: parseExpr(text) });
        } catch {
          throw new Exit(1, `Error: invalid expression: ${text}\n`);
        }
      }
    } else if (lower === '-attributes' || lower === '-attrs') {
      o.attributes = [...(o.attributes ?? []), ...argv[++i].split(/[\s,]+/).filter(Boolean)];
    } else if (lower === '-constraint') {
      const c = argv[++i] ?? '';
      try {
        o.constraints.push(parseExpr(c));
      } catch {
        throw badConstraint(c);
      }
    } else if (lower === '-limit' || lower === '-match' || lower === '-maxjobs') o.limit = Number(argv[++i]);
    else if (lower === '-nobatch' || lower === '-nob') o.nobatch = true;
    else if (lower === '-totals') o.totalsOnly = true;
    else if (lower === '-forwards') o.forwards = true;
    else if (['-name', '-pool', '-since', '-completedsince'].includes(lower)) i++;
    else if (['-batch', '-allusers', '-wide', '-w', '-backwards', '-global', '-all'].includes(lower) || lower.startsWith('-wide:')) continue;
    else if (a.startsWith('-')) throw new Exit(1, `Error: unrecognized argument ${a}\n`);
    else if (/^\d+$/.test(a)) o.selectors.push({ cluster: Number(a) });
    else if (/^\d+\.\d+$/.test(a)) o.selectors.push({ cluster: Number(a.split('.')[0]), proc: Number(a.split('.')[1]) });
    else o.selectors.push({ owner: a });
  }
  return o;
}

const selected = (job, ad, o, now) =>
  (o.selectors.length === 0 ||
    o.selectors.some((s) =>
      s.owner !== undefined ? job.meta.owner === s.owner : s.cluster === job.cluster && (s.proc === undefined || s.proc === job.proc),
    )) &&
  o.constraints.every((c) => matches(c, ad, now));

// -af: space-separated values; j = id first, l = "Attr = value", n = newline
// per field, g = blank line between ads, t = tabs, V = quoted strings.
function renderAf(ads, af, now) {
  const q = af.quals;
  const sep = q.includes('n') ? '\n' : q.includes('t') ? '\t' : ' ';
  const blocks = ads.map((ad) => {
    const fields = af.exprs.map(({ text, ast }) => {
      const v = valueToAf(evaluate(ast, ad, now), q.includes('V'));
      return q.includes('l') ? `${text} = ${v}` : v;
    });
    if (q.includes('j')) fields.unshift(`${ad.get('ClusterId').v}.${ad.get('ProcId').v}`);
    return fields.join(sep) + '\n';
  });
  return blocks.join(q.includes('g') ? '\n' : '');
}

const dash = (n) => (n === 0 ? '_' : String(n));
const submitted = (ms) => `${formatTime(ms, '%-m/%-d').padEnd(4)} ${formatTime(ms, '%H:%M')}`;
const runTime = (secs) =>
  `${Math.floor(secs / 86400)}+${[Math.floor((secs % 86400) / 3600), Math.floor((secs % 3600) / 60), secs % 60].map((n) => String(n).padStart(2, '0')).join(':')}`;

function totalsLine(label, jobs) {
  const c = (s) => jobs.filter((j) => j.status === s).length;
  return `Total for ${label}: ${jobs.length} jobs; ${c(JOB_STATUS.COMPLETED)} completed, ${c(JOB_STATUS.REMOVED)} removed, ${c(JOB_STATUS.IDLE)} idle, ${c(JOB_STATUS.RUNNING)} running, ${c(JOB_STATUS.HELD)} held, 0 suspended\n`;
}

// The batch table (default since 8.5): one row per batch name, or per cluster ("ID: C").
function batchRows(matched, all) {
  const groups = new Map();
  for (const job of matched) {
    const name = job.meta.attrs.find(([n]) => n === 'JobBatchName')?.[1].v;
    const key = name !== undefined ? `N:${job.meta.owner}:${name}` : `C:${job.cluster}`;
    if (!groups.has(key)) groups.set(key, { owner: job.meta.owner, name: name ?? `ID: ${job.cluster}`, jobs: [], clusters: new Set() });
    groups.get(key).jobs.push(job);
    groups.get(key).clusters.add(job.cluster);
  }
  return [...groups.values()].map((g) => {
    const procs = all.filter((j) => g.clusters.has(j.cluster));
    const count = (s) => procs.filter((j) => j.status === s).length;
    const ids = g.jobs.map((j) => j.id);
    return {
      owner: g.owner,
      name: g.name,
      submitted: submitted(Math.min(...g.jobs.map((j) => j.meta.qdateMs))),
      done: count(JOB_STATUS.COMPLETED),
      run: count(JOB_STATUS.RUNNING),
      idle: count(JOB_STATUS.IDLE),
      hold: count(JOB_STATUS.HELD),
      total: procs.length,
      ids: ids.length === 1 ? ids[0] : `${ids[0]} ... ${ids[ids.length - 1]}`,
    };
  });
}

function renderBatch(matched, all) {
  const rows = batchRows(matched, all);
  const showHold = rows.length === 0 || rows.some((r) => r.hold > 0);
  const ow = Math.max(5, ...rows.map((r) => r.owner.length));
  const bw = Math.max(13, ...rows.map((r) => r.name.length));
  const cols = (r) =>
    `${r.owner.padEnd(ow)} ${r.name.padEnd(bw)} ${r.submitted.padStart(11)} ${r.done.padStart(6)} ${r.run.padStart(6)} ${r.idle.padStart(6)}${showHold ? ` ${r.hold.padStart(6)}` : ''} ${r.total.padStart(6)} ${r.ids}\n`;
  let text = cols({ owner: 'OWNER', name: 'BATCH_NAME', submitted: 'SUBMITTED', done: 'DONE', run: 'RUN ', idle: 'IDLE', hold: 'HOLD', total: 'TOTAL', ids: 'JOB_IDS' });
  for (const r of rows) {
    text += cols({ ...r, done: dash(r.done), run: dash(r.run), idle: dash(r.idle), hold: dash(r.hold), total: String(r.total) });
  }
  return text;
}

function renderNobatch(matched, now) {
  let text = ' ID          OWNER        SUBMITTED     RUN_TIME ST PRI SIZE CMD\n';
  for (const job of matched) {
    const ad = buildAd(job);
    const cmd = path.basename(ad.get('Cmd')?.v ?? '');
    const args = ad.get('Args')?.v ?? ad.get('Arguments')?.v ?? '';
    const secs = job.startMs === undefined ? 0 : Math.floor(((job.exit?.ms ?? now) - job.startMs) / 1000);
    text += `${job.id.padEnd(11)} ${job.meta.owner.padEnd(12)} ${submitted(job.meta.qdateMs).padEnd(11)} ${runTime(secs).padStart(11)} ${STATUS_LETTER[job.status].padEnd(2)} ${String(ad.get('JobPrio')?.v ?? 0).padEnd(3)} ${'0.0'.padEnd(4)} ${`${cmd} ${args}`.trim()}\n`;
  }
  return text;
}

function renderHistoryTable(matched) {
  let text = ' ID     OWNER          SUBMITTED   RUN_TIME     ST COMPLETED   CMD\n';
  for (const job of matched) {
    const ad = buildAd(job);
    const end = job.exit?.ms ?? job.since;
    const secs = job.startMs === undefined ? 0 : Math.floor((end - job.startMs) / 1000);
    const cmd = `${ad.get('Cmd')?.v ?? ''} ${ad.get('Args')?.v ?? ad.get('Arguments')?.v ?? ''}`.trim();
    text += ` ${job.id.padEnd(6)} ${job.meta.owner.padEnd(14)} ${submitted(job.meta.qdateMs)} ${runTime(secs).padStart(12)} ${STATUS_LETTER[job.status]}  ${job.status === JOB_STATUS.COMPLETED ? submitted(end) : '          '} ${cmd}\n`;
  }
  return text;
}

export function main({ cmd, argv, dir, faults, out }) {
  const history = cmd === 'condor_history';
  const o = parseArgs(argv, history);
  applyQueryFaults(dir, faults, cmd, queryFailure);
  const now = Date.now();
  const all = loadJobs(dir);
  const pool = all.filter((j) => (history ? inHistory(j, faults, now) : inQueue(j, faults, now)));
  if (history) {
    // Newest first: the order jobs left the queue, read backwards.
    pool.sort((a, b) => b.since - a.since || b.cluster - a.cluster || b.proc - a.proc);
    if (o.forwards) pool.reverse();
  }
  const matched = [];
  for (const job of pool) {
    if (matched.length >= o.limit) break;
    const ad = buildAd(job);
    if (selected(job, ad, o, now)) matched.push({ job, ad });
  }
  const ads = matched.map((m) => m.ad);

  switch (o.mode) {
    case 'json':
      // condor_q prints nothing for no match; condor_history always brackets.
      if (ads.length || history) out(`[\n${ads.map((ad) => `${adToJson(ad, o.attributes)}\n`).join(',\n')}]\n`);
      return 0;
    case 'jsonl':
      out(ads.map((ad) => `${oneLineJson(ad, o.attributes)}\n`).join(''));
      return 0;
    case 'long':
      out(ads.map((ad) => `${adToLong(ad, o.attributes)}\n`).join(''));
      return 0;
    case 'af':
      out(renderAf(ads, o.af, now));
      return 0;
    default:
      break;
  }
  const jobs = matched.map((m) => m.job);
  if (history) {
    out(renderHistoryTable(jobs));
    return 0;
  }
  let text = `\n\n-- Schedd: ${hostName()} : ${SCHEDD_SHORT} @ ${formatTime(now, '%m/%d/%y %H:%M:%S')}\n`;
  if (!o.totalsOnly) text += o.nobatch ? renderNobatch(jobs, now) : renderBatch(jobs, all);
  text += `\n${totalsLine('query', jobs)}${totalsLine('all users', pool)}`;
  out(text);
  return 0;
}

// -jsonl: the same ad on one line (jsonSink "oneline" mode).
function oneLineJson(ad, only) {
  const wanted = only ? new Set(only.map((a) => a.toLowerCase())) : undefined;
  const parts = ad
    .sorted()
    .filter(({ name }) => !wanted || wanted.has(name.toLowerCase()))
    .map(({ name, value }) => `"${name}": ${valueToJson(value)}`);
  return `{${parts.join(',')}}`;
}
