// Parses an HTCondor submit description (condor_submit manual): `key = value`
// lines with case-insensitive keys, `#` comments, `\` line continuation,
// `+Attr = value` / `MY.Attr = value` custom attributes, $(macro) expansion
// and every form of the `queue` statement. Produces one description per proc.
import fs from 'node:fs';
import path from 'node:path';

/** A parse error, reported as "ERROR: Failed to parse command file (line N)." */
export class SubmitFileError extends Error {
  constructor(line) {
    super(`ERROR: Failed to parse command file (line ${line}).`);
    this.line = line;
  }
}

// C isspace() in the C locale, what condor_submit trims: not Unicode blanks such as U+00A0.
const BLANKS = ' \t\n\v\f\r';
const trimStart = (s) => {
  let i = 0;
  while (i < s.length && BLANKS.includes(s[i])) i++;
  return s.slice(i);
};
const trimEnd = (s) => {
  let i = s.length;
  while (i > 0 && BLANKS.includes(s[i - 1])) i--;
  return s.slice(0, i);
};
export const trimBlanks = (s) => trimEnd(trimStart(s));

// Logical lines as getline_implementation (condor_utils/config.cpp) reads
// them: each physical line is trimmed at both ends, and one that then ends in
// `\` loses it and is joined with the next (also when blanks followed the
// `\`). A comment line does not continue (CONFIG_GETLINE_OPT_COMMENT_DOESNT_CONTINUE).
// Each logical line keeps the number of its first physical line.
function logicalLines(text) {
  const out = [];
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  for (let i = 0; i < raw.length; i++) {
    const start = i + 1;
    let line = trimBlanks(raw[i]);
    const comment = line.startsWith('#');
    while (!comment && line.endsWith('\\') && i + 1 < raw.length) line = line.slice(0, -1) + trimBlanks(raw[++i]);
    if (!comment && line.endsWith('\\')) line = line.slice(0, -1);
    out.push({ no: start, text: line });
  }
  return out;
}

const splitItems = (s) => s.split(/[\s,]+/).filter(Boolean);

/**
 * Parse the file into statements: { kind: 'set', key, value } for keywords
 * and macros, { kind: 'attr', name, value } for custom attributes and
 * { kind: 'queue', count, vars, items } for queue statements.
 */
export function parseSubmitFile(text, cwd) {
  const lines = logicalLines(text);
  // Anything after the last queue statement is ignored, as condor_submit does.
  const lastQueue = lines.filter((l) => /^\s*queue\b/i.test(l.text)).pop()?.no;
  const statements = [];
  for (let i = 0; i < lines.length; i++) {
    const { no, text: line } = lines[i];
    const t = line;
    if (t === '' || t.startsWith('#')) continue;
    const q = /^queue(?:\s+(.*))?$/i.exec(t);
    if (q) {
      const collect = () => {
        // Items on the following lines, up to a line holding only ')'.
        const items = [];
        for (i++; i < lines.length; i++) {
          const l = lines[i].text.trim();
          if (l === ')') return items;
          if (l !== '' && !l.startsWith('#')) items.push(l);
        }
        throw new SubmitFileError(no);
      };
      statements.push({ kind: 'queue', no, ...parseQueueArgs(q[1] ?? '', no, collect, cwd) });
      if (no === lastQueue) break;
      continue;
    }
    const custom = /^(?:\+|MY\.)([A-Za-z_][A-Za-z0-9_]*)[ \t\v\f\r]*=(.*)$/is.exec(t);
    if (custom) {
      statements.push({ kind: 'attr', no, name: custom[1], value: trimBlanks(custom[2]) });
      continue;
    }
    const kv = /^([A-Za-z_][A-Za-z0-9_.]*)[ \t\v\f\r]*=(.*)$/s.exec(t);
    if (kv) {
      statements.push({ kind: 'set', no, key: kv[1], value: trimBlanks(kv[2]) });
      continue;
    }
    throw new SubmitFileError(no);
  }
  return statements;
}

// `queue [N] [vars] [in|matching|from ...]`; items are lists of column values.
function parseQueueArgs(args, no, collect, cwd) {
  const m = /^(\d+)?\s*(.*)$/s.exec(args.trim());
  const count = m[1] === undefined ? 1 : Number(m[1]);
  const tail = m[2].trim();
  if (tail === '') return { count, vars: [], items: [[]] };
  const form = /^(?:([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+)?(in|matching|from)\b\s*(.*)$/is.exec(tail);
  if (!form) throw new SubmitFileError(no);
  const vars = form[1] ? form[1].split(/\s*,\s*/) : ['Item'];
  const how = form[2].toLowerCase();
  let rest = form[3].trim();
  let entries;
  if (rest === '(') entries = collect();
  else if (rest.startsWith('(') && rest.endsWith(')')) entries = [rest.slice(1, -1)];
  else entries = undefined;

  if (how === 'in') {
    const items = splitItems((entries ?? [rest]).join(' '));
    return { count, vars, items: items.map((v) => [v]) };
  }
  if (how === 'matching') {
    const words = splitItems((entries ?? [rest]).join(' '));
    let kind = 'any';
    if (/^(files|dirs)$/i.test(words[0] ?? '')) kind = words.shift().toLowerCase();
    const found = words.flatMap((g) => globFiles(g, cwd, kind));
    return { count, vars, items: found.map((f) => [f]) };
  }
  // from: one item per line, columns split by commas/whitespace
  let rows = entries;
  if (!rows) {
    try {
      rows = fs.readFileSync(path.resolve(cwd, rest), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
    } catch {
      throw new SubmitFileError(no);
    }
  }
  const items = rows.map((row) => {
    const cols = row.trim().split(/\s*,\s*|\s+/);
    // The last variable takes the rest of the line, as condor_submit does.
    if (cols.length > vars.length) cols.splice(vars.length - 1, Infinity, cols.slice(vars.length - 1).join(' '));
    return cols;
  });
  return { count, vars, items };
}

// Single-level glob (`*`, `?`, `[...]`) relative to cwd, sorted like ls.
function globFiles(pattern, cwd, kind) {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  let names;
  try {
    names = fs.readdirSync(path.resolve(cwd, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return names
    .filter((d) => re.test(d.name) && !d.name.startsWith('.'))
    .filter((d) => (kind === 'files' ? !d.isDirectory() : kind === 'dirs' ? d.isDirectory() : true))
    .map((d) => (dir === '.' ? d.name : path.join(dir, d.name)))
    .sort();
}

/**
 * Walk the statements and return one description per proc:
 * { settings: Map(lowercase key → raw value), attrs: [{name, value, no}], vars: {name: value}, step, row }.
 */
export function expandProcs(statements) {
  const settings = new Map();
  const attrs = new Map();
  const procs = [];
  for (const s of statements) {
    if (s.kind === 'set') settings.set(s.key.toLowerCase(), { key: s.key, value: s.value, no: s.no });
    else if (s.kind === 'attr') attrs.set(s.name.toLowerCase(), { name: s.name, value: s.value, no: s.no });
    else {
      s.items.forEach((cols, row) => {
        for (let step = 0; step < s.count; step++) {
          const vars = {};
          s.vars.forEach((v, k) => (vars[v.toLowerCase()] = cols[k] ?? ''));
          procs.push({ settings: new Map(settings), attrs: [...attrs.values()], vars, step, row, itemIndex: row });
        }
      });
    }
  }
  return procs;
}

// $(DOLLAR) stands for a `$` that no later pass expands: kept as this mark until the end.
const DOLLAR_MARK = '\u0000';

/**
 * Expand $(name), $(name:default) and $ENV(name) in a value. `lookup` maps
 * a lowercase name to its raw value or undefined; `$$(...)` is left alone
 * (the schedd expands it when the job is matched), and `$(DOLLAR)` gives a
 * literal `$` (condor_utils/config.cpp, DOLLAR_ID).
 */
export function expandMacros(value, lookup, env) {
  return expandMarked(value, lookup, env, 0).split(DOLLAR_MARK).join('$');
}

function expandMarked(value, lookup, env, depth) {
  if (depth > 32 || !value.includes('$')) return value;
  return value.replace(/\$\$\([^)]*\)|\$ENV\(([^)]*)\)|\$\(([A-Za-z_][\w.]*)(?::([^)]*))?\)/gi, (all, envName, name, dflt) => {
    if (all.startsWith('$$')) return all;
    if (envName !== undefined) return env[envName] ?? '';
    if (name.toLowerCase() === 'dollar') return DOLLAR_MARK;
    const raw = lookup(name.toLowerCase());
    if (raw === undefined) return dflt ?? '';
    return expandMarked(raw, lookup, env, depth + 1);
  });
}

/** HTCondor `arguments`: new syntax when double-quoted ('' and "" escape), else split on spaces. */
export function parseArguments(value) {
  const v = trimBlanks(value);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return { argv: splitNewSyntax(v.slice(1, -1).replace(/""/g, '"')), newSyntax: true };
  return { argv: v.split(/\s+/).filter(Boolean).map((a) => a.replace(/\\"/g, '"')), newSyntax: false };
}

// Whitespace separates words; single quotes group, and '' inside them is one quote.
function splitNewSyntax(s) {
  const words = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") {
      inWord = true;
      for (i++; i < s.length; i++) {
        if (s[i] === "'" && s[i + 1] === "'") {
          cur += "'";
          i++;
        } else if (s[i] === "'") break;
        else cur += s[i];
      }
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** HTCondor `environment`: new syntax "A=1 B='x y'" or old syntax A=1;B=2. */
export function parseEnvironment(value) {
  const v = trimBlanks(value);
  const pairs = v.length >= 2 && v.startsWith('"') && v.endsWith('"')
    ? splitNewSyntax(v.slice(1, -1).replace(/""/g, '"'))
    : v.split(';').map((p) => p.trim()).filter(Boolean);
  const env = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq > 0) env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return env;
}

/** `getenv`: true/false or a match list of names with * wildcards and !exclusions. */
export function selectGetenv(value, env) {
  const v = value.trim();
  if (/^(false|no|0)?$/i.test(v)) return {};
  const patterns = /^(true|yes|1)$/i.test(v) ? ['*'] : splitItems(v);
  const toRe = (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  const include = patterns.filter((p) => !p.startsWith('!')).map(toRe);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => toRe(p.slice(1)));
  const out = {};
  for (const [k, val] of Object.entries(env)) {
    if (include.some((r) => r.test(k)) && !exclude.some((r) => r.test(k))) out[k] = val;
  }
  return out;
}

/** request_memory style sizes: bare numbers in MB, K/KB M/MB G/GB T/TB suffixes. */
export function parseMegabytes(value) {
  const m = /^\s*([\d.]+)\s*([KMGT]B?)?\s*$/i.exec(value);
  if (!m) return undefined;
  const factor = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[(m[2] ?? 'M')[0].toUpperCase()];
  return Math.ceil(Number(m[1]) * factor);
}

/** How condor_submit looks up a macro name for one proc: built-ins, queue variables, commands, then name=value arguments. */
export function procLookup(proc, cluster, procId, macros = {}) {
  return (name) => {
    const special = { cluster, clusterid: cluster, process: procId, procid: procId, node: procId, step: proc.step, itemindex: proc.itemIndex, row: proc.row }[name];
    if (special !== undefined) return String(special);
    if (name in proc.vars) return proc.vars[name];
    return proc.settings.get(name)?.value ?? macros[name];
  };
}

/**
 * What condor_submit reads from a description, per proc: each command's
 * value after macro expansion (by lowercase key) and each custom attribute's
 * expression text after expansion (by name). Procs of one description are
 * numbered here as one cluster.
 */
export function readSubmitDescription(text, { cwd = process.cwd(), cluster = 1, env = {} } = {}) {
  return expandProcs(parseSubmitFile(text, cwd)).map((proc, procId) => {
    const lookup = procLookup(proc, cluster, procId);
    const settings = {};
    const raw = {};
    for (const [key, { value }] of proc.settings) {
      settings[key] = expandMacros(value, lookup, env);
      raw[key] = value;
    }
    const attrs = {};
    for (const { name, value } of proc.attrs) attrs[name] = expandMacros(value, lookup, env);
    return { settings, raw, attrs };
  });
}
