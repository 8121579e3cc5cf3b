// A small ClassAd expression language: enough for condor_q/condor_history/
// condor_rm -constraint, -af expressions and custom +Attr values. Semantics
// follow the HTCondor ClassAd manual: attribute names are case-insensitive,
// `==` on strings ignores case, `=?=`/`=!=` are the "is identical" operators
// (case-sensitive, never undefined), and && / || are non-strict.

// Values: { t: 'int'|'real'|'str'|'bool'|'undef'|'error', v } or, for stored
// attributes only, { t: 'expr', ast }.
export const int = (v) => ({ t: 'int', v: Math.trunc(v) });
export const real = (v) => ({ t: 'real', v });
export const str = (v) => ({ t: 'str', v: String(v) });
export const bool = (v) => ({ t: 'bool', v: Boolean(v) });
export const UNDEF = Object.freeze({ t: 'undef' });
export const ERROR = Object.freeze({ t: 'error' });

/** A job ad: attributes keyed case-insensitively, keeping their spelling. */
export class Ad {
  constructor() {
    this.attrs = new Map();
  }
  set(name, value) {
    this.attrs.set(name.toLowerCase(), { name, value });
    return this;
  }
  get(name) {
    return this.attrs.get(name.toLowerCase())?.value;
  }
  has(name) {
    return this.attrs.has(name.toLowerCase());
  }
  // Attributes in case-insensitive alphabetical order, as condor_q -json prints them.
  sorted() {
    return [...this.attrs.values()].sort((a, b) => {
      const x = a.name.toLowerCase();
      const y = b.name.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
}

// ---------------------------------------------------------------- tokenizer
const TOKEN = new RegExp(
  [
    String.raw`(?<real>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)`,
    String.raw`(?<int>\d+)`,
    String.raw`(?<str>"(?:[^"\\]|\\.)*")`,
    String.raw`(?<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)`,
    String.raw`(?<op>=\?=|=!=|==|!=|<=|>=|&&|\|\||[-+*/%<>!()?:,])`,
  ].join('|'),
  'y',
);

function tokenize(text) {
  const tokens = [];
  let pos = 0;
  while (pos < text.length) {
    const ws = /\s*/y;
    ws.lastIndex = pos;
    ws.exec(text);
    pos = ws.lastIndex;
    if (pos >= text.length) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new SyntaxError(`unexpected character at offset ${pos}`);
    const [kind, value] = Object.entries(m.groups).find(([, v]) => v !== undefined);
    tokens.push({ kind, value });
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

const unescape = (s) =>
  s.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' })[c] ?? c);

// ---------------------------------------------------------------- parser
// Lowest to highest precedence; the ternary ?: sits below all of these.
const BINARY_LEVELS = [
  ['||'],
  ['&&'],
  ['==', '!=', '=?=', '=!=', 'is', 'isnt'],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Parse an expression; throws SyntaxError when it is not a valid ClassAd expression. */
export function parseExpr(text) {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const isOp = (v) => {
    const t = tokens[i];
    if (!t) return false;
    if (t.kind === 'op') return t.value === v;
    return t.kind === 'name' && (v === 'is' || v === 'isnt') && t.value.toLowerCase() === v;
  };
  const expect = (v) => {
    if (!isOp(v)) throw new SyntaxError(`expected '${v}'`);
    i++;
  };

  function ternary() {
    const c = binary(0);
    if (isOp('?')) {
      i++;
      const a = ternary();
      expect(':');
      const b = ternary();
      return { k: 'cond', c, a, b };
    }
    return c;
  }
  function binary(level) {
    if (level >= BINARY_LEVELS.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const op = BINARY_LEVELS[level].find(isOp);
      if (!op) return left;
      i++;
      left = { k: 'bin', op, l: left, r: binary(level + 1) };
    }
  }
  function unary() {
    for (const op of ['!', '-', '+']) {
      if (isOp(op)) {
        i++;
        return { k: 'un', op, e: unary() };
      }
    }
    return primary();
  }
  function primary() {
    const t = peek();
    if (!t) throw new SyntaxError('unexpected end of expression');
    i++;
    if (t.kind === 'int') return { k: 'lit', val: int(Number(t.value)) };
    if (t.kind === 'real') return { k: 'lit', val: real(Number(t.value)) };
    if (t.kind === 'str') return { k: 'lit', val: str(unescape(t.value)) };
    if (t.kind === 'op' && t.value === '(') {
      const e = ternary();
      expect(')');
      return { k: 'paren', e };
    }
    if (t.kind === 'name') {
      const lower = t.value.toLowerCase();
      if (isOp('(')) {
        i++;
        const args = [];
        if (!isOp(')')) {
          args.push(ternary());
          while (isOp(',')) {
            i++;
            args.push(ternary());
          }
        }
        expect(')');
        return { k: 'call', name: t.value, args };
      }
      if (lower === 'true' || lower === 'false') return { k: 'lit', val: bool(lower === 'true'), text: t.value };
      if (lower === 'undefined') return { k: 'lit', val: UNDEF, text: t.value };
      if (lower === 'error') return { k: 'lit', val: ERROR, text: t.value };
      return { k: 'attr', name: t.value };
    }
    throw new SyntaxError(`unexpected '${t.value}'`);
  }

  const ast = ternary();
  if (i !== tokens.length) throw new SyntaxError(`unexpected '${tokens[i].value}'`);
  return ast;
}

/** The literal value an expression stands for (e.g. `-3`, `"x"`), or undefined. */
export function literalOf(ast) {
  if (ast.k === 'lit') return ast.val;
  if (ast.k === 'un' && ast.op === '-' && ast.e.k === 'lit' && (ast.e.val.t === 'int' || ast.e.val.t === 'real')) {
    return { t: ast.e.val.t, v: -ast.e.val.v };
  }
  return undefined;
}

// ---------------------------------------------------------------- unparser
/** Render a real the way ClassAds do (%.16G, with ".0" when it looks like an int). */
export function formatReal(x) {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'real("NaN")' : x > 0 ? 'real("INF")' : 'real("-INF")';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  let s;
  if (exp < -4 || exp >= 16) {
    const [mant, e] = x.toExponential(15).split('e');
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const n = Number(e);
    s = `${m}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  } else {
    s = x.toPrecision(16);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return /[.Ee]/.test(s) ? s : `${s}.0`;
}

export const quoteString = (s) =>
  `"${s.replace(/[\\"\n\t\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c])}"`;

function unparseValue(v) {
  switch (v.t) {
    case 'int': return String(v.v);
    case 'real': return formatReal(v.v);
    case 'str': return quoteString(v.v);
    case 'bool': return v.v ? 'true' : 'false';
    case 'undef': return 'undefined';
    case 'expr': return unparse(v.ast);
    default: return 'error';
  }
}

/** Expression text in ClassAd unparser style (`a + b`, `f(x,y)`). */
export function unparse(ast) {
  switch (ast.k) {
    case 'lit': return ast.text ?? unparseValue(ast.val);
    case 'attr': return ast.name;
    case 'paren': return `(${unparse(ast.e)})`;
    case 'un': return `${ast.op}${unparse(ast.e)}`;
    case 'bin': return `${unparse(ast.l)} ${ast.op} ${unparse(ast.r)}`;
    case 'cond': return `${unparse(ast.c)} ? ${unparse(ast.a)} : ${unparse(ast.b)}`;
    case 'call': return `${ast.name}(${ast.args.map(unparse).join(',')})`;
    default: return 'error';
  }
}

// ---------------------------------------------------------------- evaluator
const isNum = (v) => v.t === 'int' || v.t === 'real';

// Booleans for && || ?: — numbers count as true when non-zero.
function truth(v) {
  if (v.t === 'bool') return v.v;
  if (isNum(v)) return v.v !== 0;
  return v.t === 'undef' ? 'undef' : 'error';
}

function arith(op, a, b) {
  if (a.t === 'error' || b.t === 'error') return ERROR;
  if (a.t === 'undef' || b.t === 'undef') return UNDEF;
  if (!isNum(a) || !isNum(b)) return ERROR;
  const both = a.t === 'int' && b.t === 'int';
  if ((op === '/' || op === '%') && b.v === 0) return ERROR;
  const r = { '+': a.v + b.v, '-': a.v - b.v, '*': a.v * b.v, '/': a.v / b.v, '%': a.v % b.v }[op];
  return both ? int(r) : real(r);
}

function compare(op, a, b) {
  if (op === '=?=' || op === 'is' || op === '=!=' || op === 'isnt') {
    const same = a.t === b.t && (a.t === 'undef' || a.t === 'error' || a.v === b.v);
    return bool(op === '=?=' || op === 'is' ? same : !same);
  }
  if (a.t === 'error' || b.t === 'error') return ERROR;
  if (a.t === 'undef' || b.t === 'undef') return UNDEF;
  let x;
  let y;
  if (isNum(a) && isNum(b)) [x, y] = [a.v, b.v];
  else if (a.t === 'str' && b.t === 'str') [x, y] = [a.v.toLowerCase(), b.v.toLowerCase()];
  else if (a.t === 'bool' && b.t === 'bool') [x, y] = [Number(a.v), Number(b.v)];
  else return ERROR;
  return bool({ '==': x === y, '!=': x !== y, '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y }[op]);
}

function logic(op, l, rightThunk) {
  const a = truth(l);
  if (a === 'error') return ERROR;
  if (op === '&&' && a === false) return bool(false);
  if (op === '||' && a === true) return bool(true);
  const b = truth(rightThunk());
  if (b === 'error') return ERROR;
  if (op === '&&' && b === false) return bool(false);
  if (op === '||' && b === true) return bool(true);
  return a === 'undef' || b === 'undef' ? UNDEF : bool(op === '&&');
}

const strOf = (v) => (v.t === 'str' ? v.v : v.t === 'int' || v.t === 'bool' ? String(v.v) : v.t === 'real' ? formatReal(v.v) : undefined);

const FUNCTIONS = {
  time: (_, ctx) => int(Math.floor(ctx.now / 1000)),
  isundefined: ([v]) => bool(v?.t === 'undef'),
  iserror: ([v]) => bool(v?.t === 'error'),
  isstring: ([v]) => bool(v?.t === 'str'),
  isinteger: ([v]) => bool(v?.t === 'int'),
  isreal: ([v]) => bool(v?.t === 'real'),
  isboolean: ([v]) => bool(v?.t === 'bool'),
  ifthenelse: ([c, a, b]) => {
    const t = c ? truth(c) : 'error';
    return t === 'error' ? ERROR : t === 'undef' ? UNDEF : t ? a ?? ERROR : b ?? ERROR;
  },
  strcat: (args) => (args.every((v) => strOf(v) !== undefined) ? str(args.map(strOf).join('')) : ERROR),
  tolower: ([v]) => (v?.t === 'str' ? str(v.v.toLowerCase()) : v?.t === 'undef' ? UNDEF : ERROR),
  toupper: ([v]) => (v?.t === 'str' ? str(v.v.toUpperCase()) : v?.t === 'undef' ? UNDEF : ERROR),
  size: ([v]) => (v?.t === 'str' ? int(v.v.length) : v?.t === 'undef' ? UNDEF : ERROR),
  substr: ([s, off, len]) => {
    if (s?.t !== 'str' || !isNum(off ?? {})) return ERROR;
    const start = off.v < 0 ? Math.max(0, s.v.length + off.v) : off.v;
    if (len === undefined) return str(s.v.slice(start));
    if (!isNum(len)) return ERROR;
    return str(len.v < 0 ? s.v.slice(start, s.v.length + len.v) : s.v.slice(start, start + len.v));
  },
  regexp: ([pat, target, opts]) => {
    if (pat?.t === 'undef' || target?.t === 'undef') return UNDEF;
    if (pat?.t !== 'str' || target?.t !== 'str') return ERROR;
    try {
      return bool(new RegExp(pat.v, opts?.t === 'str' && /i/i.test(opts.v) ? 'i' : '').test(target.v));
    } catch {
      return ERROR;
    }
  },
  stringlistmember: ([item, list, delim]) => listMember(item, list, delim, false),
  stringlistimember: ([item, list, delim]) => listMember(item, list, delim, true),
  int: ([v]) => (isNum(v ?? {}) ? int(v.v) : v?.t === 'bool' ? int(Number(v.v)) : v?.t === 'str' && v.v.trim() !== '' && !Number.isNaN(Number(v.v)) ? int(Number(v.v)) : v?.t === 'undef' ? UNDEF : ERROR),
  real: ([v]) => (isNum(v ?? {}) ? real(v.v) : v?.t === 'bool' ? real(Number(v.v)) : v?.t === 'str' && v.v.trim() !== '' && !Number.isNaN(Number(v.v)) ? real(Number(v.v)) : v?.t === 'undef' ? UNDEF : ERROR),
  string: ([v]) => (v?.t === 'undef' ? UNDEF : strOf(v ?? ERROR) !== undefined ? str(strOf(v)) : ERROR),
  floor: ([v]) => (isNum(v ?? {}) ? int(Math.floor(v.v)) : v?.t === 'undef' ? UNDEF : ERROR),
  ceiling: ([v]) => (isNum(v ?? {}) ? int(Math.ceil(v.v)) : v?.t === 'undef' ? UNDEF : ERROR),
  round: ([v]) => (isNum(v ?? {}) ? int(Math.round(v.v)) : v?.t === 'undef' ? UNDEF : ERROR),
};

function listMember(item, list, delim, ignoreCase) {
  if (item?.t === 'undef' || list?.t === 'undef') return UNDEF;
  if (item?.t !== 'str' || list?.t !== 'str') return ERROR;
  const seps = delim?.t === 'str' ? delim.v : ' ,';
  const norm = (s) => (ignoreCase ? s.toLowerCase() : s);
  const parts = list.v.split(new RegExp(`[${seps.replace(/[\]\\^-]/g, '\\$&')}]+`)).filter(Boolean);
  return bool(parts.map(norm).includes(norm(item.v)));
}

/** Evaluate an AST against an ad; `now` (ms) feeds time(). */
export function evaluate(ast, ad, now = Date.now(), depth = 0) {
  if (depth > 64) return ERROR;
  const ev = (a) => evaluate(a, ad, now, depth + 1);
  switch (ast.k) {
    case 'lit': return ast.val;
    case 'paren': return ev(ast.e);
    case 'attr': {
      let name = ast.name;
      const dot = name.indexOf('.');
      if (dot > 0) {
        const scope = name.slice(0, dot).toLowerCase();
        if (scope === 'target') return UNDEF;
        if (scope !== 'my') return UNDEF;
        name = name.slice(dot + 1);
      }
      const v = ad?.get(name);
      if (v === undefined) return UNDEF;
      return v.t === 'expr' ? evaluate(v.ast, ad, now, depth + 1) : v;
    }
    case 'un': {
      const v = ev(ast.e);
      if (v.t === 'error') return ERROR;
      if (v.t === 'undef') return UNDEF;
      if (ast.op === '!') return v.t === 'bool' ? bool(!v.v) : ERROR;
      if (!isNum(v)) return ERROR;
      return ast.op === '-' ? { t: v.t, v: -v.v } : v;
    }
    case 'bin': {
      if (ast.op === '&&' || ast.op === '||') return logic(ast.op, ev(ast.l), () => ev(ast.r));
      const a = ev(ast.l);
      const b = ev(ast.r);
      if ('+-*/%'.includes(ast.op)) return arith(ast.op, a, b);
      return compare(ast.op, a, b);
    }
    case 'cond': {
      const t = truth(ev(ast.c));
      return t === 'error' ? ERROR : t === 'undef' ? UNDEF : t ? ev(ast.a) : ev(ast.b);
    }
    case 'call': {
      const fn = FUNCTIONS[ast.name.toLowerCase()];
      return fn ? fn(ast.args.map(ev), { now }) : ERROR;
    }
    default: return ERROR;
  }
}

/** True only when the expression evaluates to true (a constraint match). */
export function matches(ast, ad, now) {
  return truth(evaluate(ast, ad, now)) === true;
}

// ---------------------------------------------------------------- output forms
function jsonEscape(s) {
  let out = '';
  for (const c of s) {
    const code = c.codePointAt(0);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code > 0 && code < 32) out += `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

/** A value as HTCondor's JSON sink writes it (classad/jsonSink.cpp). */
export function valueToJson(v) {
  switch (v.t) {
    case 'int': return String(v.v);
    case 'real': return /^[-\d]/.test(formatReal(v.v)) ? formatReal(v.v) : `"\\/Expr(${jsonEscape(formatReal(v.v))})\\/"`;
    case 'str': return `"${jsonEscape(v.v)}"`;
    case 'bool': return v.v ? 'true' : 'false';
    case 'undef': return 'null';
    case 'expr': return `"\\/Expr(${jsonEscape(unparse(v.ast))})\\/"`;
    default: return `"\\/Expr(error)\\/"`;
  }
}

/** One ad as `{` + 2-space-indented `"Key": value` lines + `}`; `only` limits attributes. */
export function adToJson(ad, only) {
  const wanted = only ? new Set(only.map((a) => a.toLowerCase())) : undefined;
  const lines = ad
    .sorted()
    .filter(({ name }) => !wanted || wanted.has(name.toLowerCase()))
    .map(({ name, value }) => `  "${jsonEscape(name)}": ${valueToJson(value)}`);
  return lines.length ? `{\n${lines.join(',\n')}\n}` : '{\n}';
}

/** `Attr = value` lines (condor_q -long, condor_submit -verbose). */
export function adToLong(ad, only) {
  const wanted = only ? new Set(only.map((a) => a.toLowerCase())) : undefined;
  return ad
    .sorted()
    .filter(({ name }) => !wanted || wanted.has(name.toLowerCase()))
    .map(({ name, value }) => `${name} = ${unparseValue(value)}\n`)
    .join('');
}

/** A value as -autoformat prints it: strings bare unless `quote`, missing as "undefined". */
export function valueToAf(v, quote = false) {
  switch (v.t) {
    case 'str': return quote ? quoteString(v.v) : v.v;
    case 'int': return String(v.v);
    case 'real': return formatReal(v.v);
    case 'bool': return v.v ? 'true' : 'false';
    case 'undef': return 'undefined';
    default: return 'error';
  }
}
