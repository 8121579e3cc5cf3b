// bjobs: the default table, -o custom columns (text or -json) and the
// not-found messages and exit codes of LSB_BJOBS_CONSISTENT_EXIT_CODE
// (IBM bjobs and lsf.conf manuals; see README.md for the switches).
import { Exit, userName } from './common.mjs';
import { applyQueryFaults } from './faults.mjs';
import { expired, fieldValues, isFinished, loadLsfJobs, matchesSpec, parseJobSpec } from './lsf-jobs.mjs';

// Canonical -o field names with their aliases and recommended widths (bjobs -o manual).
const FIELDS = {
  jobid: { alias: ['id'], width: 7 },
  jobindex: { width: 8 },
  stat: { width: 5 },
  user: { width: 7 },
  queue: { width: 10 },
  job_name: { alias: ['name'], width: 10 },
  job_description: { width: 17 },
  proj_name: { alias: ['proj', 'project'], width: 11 },
  from_host: { width: 11 },
  exec_host: { width: 11 },
  first_host: { width: 11 },
  nexec_host: { width: 10 },
  submit_time: { width: 15 },
  start_time: { width: 15 },
  finish_time: { width: 16 },
  exit_code: { width: 10 },
  exit_reason: { width: 50 },
  pend_reason: { width: 11 },
  command: { alias: ['cmd'], width: 15 },
  exec_cwd: { width: 10 },
  sub_cwd: { width: 10 },
  output_file: { width: 11 },
  error_file: { width: 10 },
  nreq_slot: { width: 9 },
  nalloc_slot: { width: 11 },
  slots: { width: 5 },
  run_time: { width: 15 },
  runtimelimit: { width: 12 },
  memlimit: { width: 8 },
  effective_resreq: { width: 17 },
};
const ALIASES = new Map(Object.entries(FIELDS).flatMap(([name, f]) => [[name, name], ...(f.alias ?? []).map((a) => [a, name])]));

const fail = (message) => new Exit(255, `${message}\n`);

function parseFormat(spec) {
  let delimiter;
  const fields = [];
  const text = spec.replace(/delimiter\s*=\s*(['"])(.*?)\1/, (_, __, d) => {
    delimiter = d;
    return ' ';
  });
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const [rawName, widthSpec] = word.split(':');
    const name = ALIASES.get(rawName.toLowerCase());
    if (!name) throw fail(`${rawName}: Illegal field name. bjobs -o accepts: ${Object.keys(FIELDS).join(' ')}`);
    let width;
    let right = false;
    if (widthSpec !== undefined) {
      right = widthSpec.startsWith('-');
      const n = widthSpec.replace(/^-/, '');
      width = n === '' ? FIELDS[name].width : Number(n);
    }
    fields.push({ name, width, right });
  }
  if (!fields.length) throw fail('bjobs: -o needs at least one field name');
  return { fields, delimiter };
}

function parseArgs(argv) {
  const o = { all: false, done: false, pend: false, run: false, wide: false, noheader: false, json: false, user: userName(), name: undefined, queue: undefined, format: undefined, ids: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-a') o.all = true;
    else if (a === '-d') o.done = true;
    else if (a === '-p') o.pend = true;
    else if (a === '-r') o.run = true;
    else if (a === '-w' || a === '-W') o.wide = true;
    else if (a === '-noheader') o.noheader = true;
    else if (a === '-json') o.json = true;
    else if (a === '-u') o.user = argv[++i];
    else if (a === '-J') o.name = argv[++i];
    else if (a === '-q') o.queue = argv[++i];
    else if (a === '-o') o.format = parseFormat(argv[++i] ?? '');
    else if (a === '-m' || a === '-P' || a === '-G' || a === '-g') i++;
    else if (a.startsWith('-')) throw fail(`bjobs: option ${a} is not supported by the b2 batch simulator`);
    else if (parseJobSpec(a)) o.ids.push(parseJobSpec(a));
    else throw fail(`${a}: Illegal job ID.`);
  }
  if (o.json && !o.format) throw fail('bjobs: -json must be used together with -o');
  if (o.json && o.noheader) throw fail('bjobs: -json cannot be used together with -noheader');
  return o;
}

// JSON string as bjobs -json writes it: "/" escaped as "\/".
const lsfJson = (s) => JSON.stringify(s).replace(/\//g, '\\/');

function renderJson(records, fields) {
  const lines = ['{', '  "COMMAND":"bjobs",', `  "JOBS":${records.length},`, '  "RECORDS":['];
  records.forEach((r, i) => {
    lines.push('    {');
    const keys = r.error ? [['JOBID', r.jobid], ['ERROR', r.error]] : fields.map((f) => [f.name.toUpperCase(), r.values[f.name]]);
    keys.forEach(([k, v], j) => lines.push(`      "${k}":${lsfJson(v)}${j < keys.length - 1 ? ',' : ''}`));
    lines.push(`    }${i < records.length - 1 ? ',' : ''}`);
  });
  lines.push('  ]', '}');
  return `${lines.join('\n')}\n`;
}

// -o text: no width = the value as is; a width pads (or right-justifies) and
// truncates, JOB_NAME from the left with a leading "*" (bjobs -o manual).
function cell(value, f) {
  if (f.width === undefined) return value;
  let v = value;
  if (v.length > f.width) v = f.name === 'job_name' ? `*${v.slice(v.length - f.width + 1)}` : v.slice(0, f.width);
  return f.right ? v.padStart(f.width) : v.padEnd(f.width);
}

function renderFormat(rows, format, noheader) {
  if (!rows.length) return '';
  const sep = format.delimiter ?? ' ';
  const line = (vals) => format.fields.map((f, i) => cell(vals[i], f)).join(sep).replace(/\s+$/, '');
  const out = noheader ? [] : [line(format.fields.map((f) => f.name.toUpperCase()))];
  for (const r of rows) out.push(line(format.fields.map((f) => (r[f.name] === '' ? '-' : r[f.name]))));
  return out.length ? `${out.join('\n')}\n` : '';
}

// The default table; without -w long values are cut to the column (JOB_NAME keeps its tail after "*").
function renderTable(rows, wide, noheader) {
  const cut = (v, w, name) => (wide || v.length <= w ? v : name ? `*${v.slice(v.length - w + 1)}` : v.slice(0, w));
  const row = (r) =>
    [
      cut(r.jobid, 7).padEnd(7),
      cut(r.user, 7).padEnd(7),
      r.stat.padEnd(5),
      cut(r.queue, 10).padEnd(10),
      cut(r.from_host, 11).padEnd(11),
      cut(r.exec_host, 11).padEnd(11),
      cut(r.job_name, 10, true).padEnd(10),
      r.submit_time,
    ].join(' ');
  const header = 'JOBID   USER    STAT  QUEUE      FROM_HOST   EXEC_HOST   JOB_NAME   SUBMIT_TIME';
  return [...(noheader ? [] : [header]), ...rows.map(row)].map((l) => `${l}\n`).join('');
}

const matchesName = (pattern, name) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);

export function main({ cmd, argv, dir, faults, out, err }) {
  const o = parseArgs(argv);
  applyQueryFaults(dir, faults, cmd, () => ({ status: 255, stderr: 'LSF is down. Please wait ...\n' }));
  const now = Date.now();
  const envSetting = process.env.LSB_BJOBS_CONSISTENT_EXIT_CODE;
  const consistent = envSetting !== undefined ? /^y/i.test(envSetting) : faults.lsfConsistentExitCode === true;
  const showFinished = o.all || o.done || faults.lsfFinishedWithoutA === 'show';
  const known = loadLsfJobs(dir).filter((j) => !expired(j, faults, now));
  const stateOk = (j) => {
    if (o.done) return isFinished(j);
    if (o.pend && !['PEND', 'PSUSP'].includes(j.stat)) return false;
    if (o.run && !['RUN', 'USUSP'].includes(j.stat)) return false;
    return showFinished || !isFinished(j);
  };
  const messages = [];
  const records = [];
  let picked;
  let missing = 0;
  if (o.ids.length) {
    picked = [];
    let hidden = 0;
    // "N" names a job or every element of array N; "N[i]" one element.
    for (const spec of o.ids) {
      const jobs = known.filter((j) => matchesSpec(j, spec));
      if (!jobs.length) {
        missing++;
        if (o.json && faults.lsfJsonUnknownId === 'record') records.push({ jobid: spec.text, error: `Job <${spec.text}> is not found` });
        else messages.push(`Job <${spec.text}> is not found`);
        continue;
      }
      const shown = jobs.filter(stateOk);
      if (!shown.length) hidden++;
      picked.push(...shown);
    }
    // A finished job asked for by id without -a: "No unfinished job found" (IBM example).
    if (!picked.length && hidden) messages.push('No unfinished job found');
    missing += hidden;
  } else {
    picked = known.filter((j) => (o.user === 'all' || j.meta.user === o.user) && (!o.queue || j.meta.queue === o.queue) && (!o.name || matchesName(o.name, j.meta.name) || matchesName(o.name, j.meta.arrayName ?? '')) && stateOk(j));
    if (!picked.length) {
      missing = 1;
      if (o.name) messages.push(`Job <${o.name}> is not found`);
      else messages.push(o.done ? 'No finished job found' : o.pend ? 'No pending job found' : o.run ? 'No running job found' : o.all ? 'No job found' : 'No unfinished job found');
    }
  }
  const rows = picked.map((j) => fieldValues(j, now, faults));
  const toStdout = faults.lsfNoJobStream === 'stdout';
  for (const m of messages) (toStdout && /^No (\w+ )?job found$/.test(m) ? out : err)(`${m}\n`);
  if (o.json) out(renderJson([...rows.map((values) => ({ values })), ...records], o.format.fields));
  else if (o.format) out(renderFormat(rows, o.format, o.noheader));
  else if (rows.length) out(renderTable(rows, o.wide, o.noheader));
  // LSB_BJOBS_CONSISTENT_EXIT_CODE: N (default) fails only when some ids matched and some did not.
  if (!missing && !records.length) return 0;
  if (consistent) return 255;
  return rows.length > 0 ? 255 : 0;
}
