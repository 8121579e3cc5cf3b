/**
 * b2luigi-compatible path digests: `hashed_` + md5 of Python's `str(value)`,
 * so that a pipeline moved from b2luigi keeps its output folders. b2luigi
 * hashes the value luigi normalised: a ListParameter's lists are tuples
 * (nested ones too) and a DictParameter's dicts print as dicts. Inside a
 * container each item is printed by `repr`, which this module reproduces.
 */
import { createHash } from 'node:crypto';

export interface ReprOptions {
  /** 'tuple': as luigi's ListParameter holds them (the default); 'list': a plain Python list. */
  readonly sequences?: 'tuple' | 'list';
}

// str.isprintable() is false for these (the space excepted): repr escapes them.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

const hex = (code: number, width: number): string => code.toString(16).padStart(width, '0');

const escapeChar = (char: string, quote: string): string => {
  if (char === '\\') return '\\\\';
  if (char === quote) return `\\${quote}`;
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  if (char === ' ' || !NOT_PRINTABLE.test(char)) return char;
  const code = char.codePointAt(0)!;
  if (code < 0x100) return `\\x${hex(code, 2)}`;
  if (code < 0x10000) return `\\u${hex(code, 4)}`;
  return `\\U${hex(code, 8)}`;
};

/** Python's repr of a str: single quotes, unless the text has a ' and no ". */
export const pythonStringRepr = (text: string): string => {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  // A lone surrogate is a character of its own here, escaped (category Cs) as repr does.
  for (const char of text) body += escapeChar(char, quote);
  return `${quote}${body}${quote}`;
};

/** Python's repr of a float: shortest round-trip digits, scientific below 1e-4 and from 1e16, `.0` on whole numbers. */
export const pythonFloatRepr = (value: number): string => {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.slice(1);
    const exp = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return `${sign}${digits[0]}${rest === '' ? '' : `.${rest}`}e${exp}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
};

/**
 * A number as Python would hold it: a whole number within JavaScript's
 * exact integer range is an int (JSON and b2 cannot tell 1 from 1.0), any
 * other number a float.
 */
const numberRepr = (value: number): string => (Number.isSafeInteger(value) ? String(value) : pythonFloatRepr(value));

/** Python's repr of a JSON-like value (dates print as their ISO day, as b2 serialises them). */
export const pythonRepr = (value: unknown, options: ReprOptions = {}): string => {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return numberRepr(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return pythonStringRepr(value);
  if (value instanceof Date) return pythonStringRepr(value.toISOString().slice(0, 10));
  if (Array.isArray(value)) {
    const items = value.map((item) => pythonRepr(item, options));
    if ((options.sequences ?? 'tuple') === 'list') return `[${items.join(', ')}]`;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => `${pythonStringRepr(key)}: ${pythonRepr(item, options)}`);
    return `{${entries.join(', ')}}`;
  }
  throw new Error(`no Python counterpart for a ${typeof value}`);
};

/** Python's str(value): a str is itself, a float parameter's value a float, anything else its repr. */
export const pythonStr = (value: unknown, kind: string, options: ReprOptions = {}): string => {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (kind === 'float' && typeof value === 'number') return pythonFloatRepr(value);
  return pythonRepr(value, options);
};

/** b2luigi's default `serialize_hashed`: `hashed_` + md5 of Python's str(value). */
export const b2luigiDigest = (value: unknown, kind: string, options: ReprOptions = {}): string =>
  `hashed_${createHash('md5').update(pythonStr(value, kind, options), 'utf8').digest('hex')}`;
