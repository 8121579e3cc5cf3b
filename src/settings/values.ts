/**
 * Checking and normalising setting values by type. Memory becomes megabytes
 * and durations seconds, so every caller gets numbers whatever the user wrote.
 */
import { UserError } from '../errors.js';
import { describeType, type SettingDefinition, type SettingType } from './table.js';

const MEMORY_UNITS: Readonly<Record<string, number>> = {
  k: 1 / 1024,
  kb: 1 / 1024,
  m: 1,
  mb: 1,
  g: 1024,
  gb: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
};

/** 2048, "2GB", "500 MB", "1.5GiB" -> megabytes (rounded up); undefined when it is not a size. */
export const parseMemory = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase().replace(/ib$/, 'b');
  const factor = unit === '' ? 1 : MEMORY_UNITS[unit];
  const megabytes = factor === undefined ? undefined : Math.ceil(Number(match[1]) * factor);
  return megabytes !== undefined && megabytes > 0 ? megabytes : undefined;
};

/** 3600, "01:00:00", "60:00", "90m", "2h", "1.5 hours", "1d" -> seconds; undefined when it is not a duration. */
export const parseDuration = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const clock = /^(?:(\d+):)?(\d+):([0-5]?\d)$/.exec(text);
  if (clock) return Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  const unit = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
  if (!unit) return undefined;
  const factor = unit[2] === '' ? 1 : DURATION_UNITS[unit[2]!.toLowerCase()];
  return factor === undefined ? undefined : Number(unit[1]) * factor;
};

export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Realm-independent (config modules and test sandboxes have their own Object.prototype).
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
};

/** `.name` for identifiers, `["+Max Runtime"]` otherwise: how a user finds the entry in their file. */
export const jsonPathStep = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`);

export type Coerced =
  | { readonly ok: true; readonly value: unknown }
  /** `path` points inside the value (e.g. `["+MaxRuntime"]`) when only one entry is wrong. */
  | { readonly ok: false; readonly path?: string; readonly value?: unknown; readonly expected?: string };

const yes = (value: unknown): Coerced => ({ ok: true, value });
const no: Coerced = { ok: false };

/** Records are checked entry by entry so an error can name the one bad entry. */
const coerceRecord = (value: unknown, entryOk: (entry: unknown) => boolean, copy: (entry: unknown) => unknown, expected: string): Coerced => {
  if (!isPlainObject(value)) return no;
  const result: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!entryOk(entry)) return { ok: false, path: jsonPathStep(name), value: entry, expected };
    result[name] = copy(entry);
  }
  return yes(result);
};

const isString = (value: unknown): value is string => typeof value === 'string';
const isScalar = (value: unknown): boolean =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
const isCommand = (value: unknown): boolean =>
  (typeof value === 'string' && value !== '') || (Array.isArray(value) && value.length > 0 && value.every(isString));
const same = (value: unknown): unknown => value;
const copyCommand = (value: unknown): unknown => (Array.isArray(value) ? [...value] : value);

/** The value normalised for its type (a fresh copy for lists and records), or where it does not fit. */
export const coerce = (type: SettingType, value: unknown): Coerced => {
  switch (type.kind) {
    case 'string':
    case 'path':
      return typeof value === 'string' ? yes(value) : no;
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= (type.min ?? -Infinity) ? yes(value) : no;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= (type.min ?? -Infinity) ? yes(value) : no;
    case 'boolean':
      return typeof value === 'boolean' ? yes(value) : no;
    case 'enum':
      return typeof value === 'string' && type.values.includes(value) ? yes(value) : no;
    case 'string-list': {
      if (!Array.isArray(value)) return no;
      const bad = value.findIndex((entry) => typeof entry !== 'string');
      return bad === -1 ? yes([...value]) : { ok: false, path: `[${bad}]`, value: value[bad], expected: 'a string' };
    }
    case 'string-record':
      return coerceRecord(value, isString, same, 'a string');
    case 'object':
      return coerceRecord(value, isScalar, same, 'a string, number or boolean');
    case 'command-map':
      return coerceRecord(value, isCommand, copyCommand, 'a command: a string or a non-empty list of strings');
    case 'memory': {
      const megabytes = parseMemory(value);
      return megabytes === undefined ? no : yes(megabytes);
    }
    case 'duration': {
      const seconds = parseDuration(value);
      const tooLong = type.maxDays !== undefined && seconds !== undefined && seconds > type.maxDays * 86_400;
      return seconds === undefined || (type.positive === true && seconds <= 0) || tooLong ? no : yes(seconds);
    }
    case 'path-part':
      return typeof value === 'string' && !/[/\0]|\.\./.test(value) ? yes(value) : no;
  }
};

/** Where a value came from: the layer's source and, for files, the JSON path of the entry. */
export interface Origin {
  readonly source: string;
  readonly jsonPath?: string;
}

const describeValue = (value: unknown): string => {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
};

export const checkValue = (definition: SettingDefinition, value: unknown, origin: Origin): unknown => {
  const result = coerce(definition.type, value);
  if (result.ok) return result.value;
  const expected = describeType(definition.type);
  const at = origin.jsonPath !== undefined
    ? `, at ${origin.jsonPath}${result.path ?? ''}`
    : result.path !== undefined
      ? `, at ${definition.key}${result.path}`
      : '';
  const detail = result.path !== undefined
    ? `${describeValue(result.value)} is not ${result.expected}; ${definition.key} must be ${expected}.`
    : `${describeValue(value)} is not ${expected}.`;
  throw new UserError('bad-setting', `Bad value for setting ${definition.key} (from ${origin.source}${at}): ${detail}`, {
    hint: `${definition.key}: ${definition.description}. Give it ${expected} there${definition.default === undefined ? ', or leave it unset' : ', or remove it for the default'}.`,
  });
};

/** Object-valued settings merge across layers instead of replacing each other. */
export const isMergedType = (type: SettingType): boolean =>
  type.kind === 'string-record' || type.kind === 'object' || type.kind === 'command-map';

/** Command-line and environment text: JSON when it parses, else the text itself. */
export const parseLooseValue = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/**
 * Text for a setting: JSON when it parses and fits the type, else the text
 * itself when that fits (so `job_name=2024` stays a string and `memory=2GB`
 * works unquoted), else the parsed value, to be rejected with a clear error.
 */
export const parseSettingText = (definition: SettingDefinition | undefined, text: string): unknown => {
  const parsed = parseLooseValue(text);
  if (!definition || parsed === text) return parsed;
  if (coerce(definition.type, parsed).ok) return parsed;
  return coerce(definition.type, text).ok ? text : parsed;
};

/** Deep copy of plain objects and arrays, so callers can never change a layer through a returned value. */
export const freshCopy = <T>(value: T): T => {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(freshCopy) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(value)) copy[name] = freshCopy(entry);
  return copy as T;
};

/** Values that survive JSON unchanged: the only ones a snapshot can carry to a worker. */
export const isJsonValue = (value: unknown): boolean => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  return isPlainObject(value) && Object.values(value).every(isJsonValue);
};
