/**
 * Typed task parameters. A parameter definition knows how to validate a value
 * given in code, parse one given on the command line, and turn a value into
 * the canonical text used in task ids and output paths.
 */
import { UserError } from '../errors.js';

export interface ParamOptions<T> {
  /** A value, or a function computing it when the task is created without one. */
  readonly default?: T | (() => T);
  readonly description?: string;
  /** false: not part of the task id (and, by default, hidden from output paths). */
  readonly significant?: boolean;
  /** Not part of output/log paths (still part of the task id). Default: !significant. */
  readonly hidden?: boolean;
  /**
   * Path segment `hashed_<md5>` instead of the value (for values containing `/`, long lists, ...).
   * true: md5 of b2's canonical text (the value, or its canonical JSON); 'b2luigi': md5 of
   * Python's `str(value)`, b2luigi's own digest (lists as tuples), so b2luigi's folders are kept.
   */
  readonly hashed?: boolean | 'b2luigi';
  /** Custom path segment for a hashed parameter. */
  readonly hashFunction?: (value: T) => string;
}

/** Phantom flag: does this parameter have a default (and so may be omitted)? */
export interface ParamDef<T, HasDefault extends boolean = boolean> {
  readonly kind: string;
  readonly options: ParamOptions<T>;
  /** Check and normalise a value given in code or JSON; throws a message on bad input. */
  normalize(value: unknown): T;
  /** Parse command-line text. */
  parse(text: string): T;
  /** Canonical text: used in ids, output paths and when handing a task to a worker. */
  serialize(value: T): string;
  /** JSON form that `normalize` accepts back (dates become ISO strings). */
  toJSON(value: T): unknown;
  /** Human-readable type for messages and help. */
  readonly typeName: string;
  /** Type-level marker only. */
  readonly __hasDefault?: HasDefault;
}

type Def<T, O> = ParamDef<T, O extends { default: unknown } ? true : false>;

interface Codec<T> {
  kind: string;
  typeName: string;
  normalize(value: unknown): T;
  parse(text: string): T;
  serialize(value: T): string;
  toJSON?(value: T): unknown;
}

const define = <T, O extends ParamOptions<T>>(codec: Codec<T>, options: O | undefined): Def<T, O> =>
  ({
    kind: codec.kind,
    typeName: codec.typeName,
    options: options ?? {},
    normalize: codec.normalize,
    parse: codec.parse,
    serialize: codec.serialize,
    toJSON: codec.toJSON ?? ((value: T) => value),
  }) as Def<T, O>;

const describeValue = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

const expected = (typeName: string, value: unknown): never => {
  throw new Error(`expected ${typeName}, got ${describeValue(value)}`);
};

/** Stable JSON: object keys sorted, so equal values always serialise equally. */
export const canonicalJson = (value: unknown): string => {
  if (value instanceof Date) return JSON.stringify(formatDate(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

const formatDate = (date: Date): string => date.toISOString().slice(0, 10);

const intCodec: Codec<number> = {
  kind: 'int',
  typeName: 'an integer',
  normalize: (value) => (typeof value === 'number' && Number.isSafeInteger(value) ? value : expected('an integer', value)),
  parse: (text) => (/^[+-]?\d+$/.test(text.trim()) ? intCodec.normalize(Number(text)) : expected('an integer', text)),
  serialize: (value) => String(value),
};

const floatCodec: Codec<number> = {
  kind: 'float',
  typeName: 'a number',
  normalize: (value) => (typeof value === 'number' && Number.isFinite(value) ? value : expected('a number', value)),
  parse: (text) => {
    const value = text.trim() === '' ? NaN : Number(text);
    return Number.isFinite(value) ? value : expected('a number', text);
  },
  serialize: (value) => String(value),
};

const stringCodec: Codec<string> = {
  kind: 'string',
  typeName: 'a string',
  normalize: (value) => (typeof value === 'string' ? value : expected('a string', value)),
  parse: (text) => text,
  serialize: (value) => value,
};

const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);
const boolCodec: Codec<boolean> = {
  kind: 'bool',
  typeName: 'true or false',
  normalize: (value) => (typeof value === 'boolean' ? value : expected('true or false', value)),
  parse: (text) => {
    const word = text.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return expected('true or false', text);
  },
  serialize: (value) => (value ? 'true' : 'false'),
};

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateCodec: Codec<Date> = {
  kind: 'date',
  typeName: 'a date (YYYY-MM-DD)',
  normalize: (value) => {
    if (value instanceof Date && !Number.isNaN(value.getTime())) {
      return new Date(Date.UTC(value.getUTCFullYear(), value.getUTCMonth(), value.getUTCDate()));
    }
    if (typeof value === 'string') return dateCodec.parse(value);
    return expected('a date (YYYY-MM-DD)', value);
  },
  parse: (text) => {
    const match = DATE_TEXT.exec(text.trim());
    if (!match) return expected('a date (YYYY-MM-DD)', text);
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    // Date.UTC rolls 2024-02-31 over into March; a real date round-trips.
    if (formatDate(date) !== text.trim()) return expected('a date (YYYY-MM-DD)', text);
    return date;
  },
  serialize: formatDate,
  toJSON: formatDate,
};

const pathCodec: Codec<string> = { ...stringCodec, kind: 'path', typeName: 'a path' };

const choiceCodec = <C extends string>(choices: readonly C[]): Codec<C> => {
  const typeName = `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  const normalize = (value: unknown): C =>
    typeof value === 'string' && (choices as readonly string[]).includes(value) ? (value as C) : expected(typeName, value);
  return { kind: 'choice', typeName, normalize, parse: normalize, serialize: (value) => value };
};

const listCodec = <T>(item: Codec<T> | undefined): Codec<T[]> => {
  const typeName = item ? `a list of ${item.typeName.replace(/^an? /, '')}s` : 'a list';
  const normalizeItem = (value: unknown): T => (item ? item.normalize(value) : (value as T));
  const codec: Codec<T[]> = {
    kind: 'list',
    typeName,
    normalize: (value) => (Array.isArray(value) ? value.map(normalizeItem) : expected(typeName, value)),
    parse: (text) => {
      const trimmed = text.trim();
      if (trimmed.startsWith('[')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(trimmed);
        } catch {
          return expected(`${typeName} (JSON array or comma-separated)`, text);
        }
        return codec.normalize(parsed);
      }
      if (trimmed === '') return [];
      return trimmed.split(',').map((part) => (item ? item.parse(part.trim()) : (part.trim() as T)));
    },
    serialize: (value) => canonicalJson(item?.toJSON ? value.map((v) => item.toJSON!(v)) : value),
    toJSON: (value) => (item?.toJSON ? value.map((v) => item.toJSON!(v)) : value),
  };
  return codec;
};

const objectCodec = <T extends Record<string, unknown>>(): Codec<T> => {
  const typeName = 'an object';
  const normalize = (value: unknown): T =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
      ? (JSON.parse(canonicalJson(value)) as T)
      : expected(typeName, value);
  return {
    kind: 'object',
    typeName,
    normalize,
    parse: (text) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return expected(`${typeName} (JSON)`, text);
      }
      return normalize(parsed);
    },
    serialize: canonicalJson,
  };
};

/** Parameter constructors: `param.int()`, `param.choice(['a', 'b'], { default: 'a' })`, ... */
export const param = {
  int: <O extends ParamOptions<number>>(options?: O) => define(intCodec, options),
  float: <O extends ParamOptions<number>>(options?: O) => define(floatCodec, options),
  string: <O extends ParamOptions<string>>(options?: O) => define(stringCodec, options),
  bool: <O extends ParamOptions<boolean>>(options?: O) => define(boolCodec, options),
  date: <O extends ParamOptions<Date>>(options?: O) => define(dateCodec, options),
  choice: <const C extends string, O extends ParamOptions<C> = ParamOptions<C>>(choices: readonly C[], options?: O) =>
    define(choiceCodec(choices), options),
  list: <T = unknown, O extends ParamOptions<T[]> = ParamOptions<T[]>>(options?: O & { of?: ParamDef<T> }) =>
    define(listCodec<T>(options?.of as Codec<T> | undefined), options),
  object: <T extends Record<string, unknown> = Record<string, unknown>, O extends ParamOptions<T> = ParamOptions<T>>(
    options?: O,
  ) => define(objectCodec<T>(), options),
  /**
   * A file-system path. Paths contain `/`, which cannot be an output path
   * segment, so path parameters are hashed in output paths unless hidden.
   */
  path: <O extends ParamOptions<string>>(options?: O) =>
    define(pathCodec, { hashed: true, ...(options ?? {}) } as O & { hashed: boolean }),
};
param satisfies Record<string, unknown>;
/** Aliases matching b2luigi's names. */
export const enumParam = param.choice;
export const dictParam = param.object;

export type ParamSpec = Record<string, ParamDef<any, boolean>>;

export const isSignificant = (def: ParamDef<unknown>): boolean => def.options.significant !== false;
export const isHidden = (def: ParamDef<unknown>): boolean => def.options.hidden ?? !isSignificant(def);

/** Check a parameter definition's options once, when the task class is defined. */
export const checkParamDefinition = (className: string, name: string, def: ParamDef<unknown>): void => {
  if (def.options.significant === false && def.options.hidden === false) {
    throw new UserError(
      'bad-parameter-definition',
      `Parameter ${className}.${name} cannot be both significant: false and hidden: false.`,
      { hint: 'An insignificant parameter is not part of the task id, so it cannot tell output paths apart.' },
    );
  }
};

export const defaultValue = <T>(def: ParamDef<T>): { has: boolean; value?: T } => {
  if (!('default' in def.options) || def.options.default === undefined) return { has: false };
  const raw = def.options.default;
  return { has: true, value: typeof raw === 'function' ? (raw as () => T)() : raw };
};

export const describeParamValue = describeValue;
