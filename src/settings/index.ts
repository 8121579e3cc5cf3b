/**
 * Settings: one lookup for everything a user may change per site, per run or
 * per task. First hit wins:
 *   1. the task (attribute, getter or method named like the setting, snake_case or camelCase)
 *   2. command-line flags (--setting key=value, --result-dir, ...)
 *   3. the environment (B2_<KEY>)
 *   4. setSetting() in the pipeline
 *   5. files: $B2_SETTINGS_JSON or settings.json upward from the working directory, then the cosmiconfig `b2` config
 *   6. the default from the settings table
 * Object-valued settings merge across layers, the more specific layer's keys winning.
 * Files are read once (initSettings); batch jobs get a snapshot and read nothing.
 */
import { UserError } from '../errors.js';
import { closest } from '../util/closest.js';
import { loadFileLayers, type FileLayer } from './files.js';
import { DEPRECATED_KEYS, SETTINGS, SETTINGS_BY_KEY, type DefaultContext, type SettingDefinition } from './table.js';
import { checkValue, isMergedType, parseLooseValue } from './values.js';

export { parseMemory, parseDuration } from './values.js';
export { SETTINGS, settingsMarkdown } from './table.js';

interface Layer {
  readonly name: string;
  readonly values: Map<string, unknown>;
  readonly source: (key: string) => string;
}

interface Resolved {
  readonly value: unknown;
  readonly source: string;
}

export interface SettingsInit {
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly flags: Record<string, unknown>;
  readonly pipelineDir?: string;
}

/** Everything a batch job needs to see the runner's settings, as JSON. */
export interface SettingsSnapshot {
  readonly cwd: string;
  readonly pipelineDir: string;
  readonly flags: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly set: Record<string, unknown>;
  readonly files: readonly FileLayer[];
}

const ENV_PREFIX = 'B2_';
/** B2_* variables that are not settings. */
const ENV_NOT_SETTINGS = new Set(['B2_SETTINGS_JSON', 'B2_RUN_DIR', 'B2_PROGRESS_INTERVAL']);

let context: DefaultContext = { cwd: process.cwd(), pipelineDir: process.cwd() };
let raw: { flags: Record<string, unknown>; env: Record<string, string>; files: readonly FileLayer[] } = { flags: {}, env: {}, files: [] };
let flagLayer: Layer = emptyLayer('flags');
let envLayer: Layer = emptyLayer('env');
let fileLayers: Layer[] = [];
const setValues = new Map<string, unknown>();
const setLayer: Layer = { name: 'set', values: setValues, source: () => 'setSetting() in the pipeline' };
const cache = new Map<string, Resolved | null>();
const warnings: string[] = [];
const warned = new Set<string>();

function emptyLayer(name: string): Layer {
  return { name, values: new Map(), source: () => name };
}

const warnOnce = (message: string): void => {
  if (warned.has(message)) return;
  warned.add(message);
  warnings.push(message);
};

/** The current name for a key, warning once about b2luigi's old names. */
const canonical = (key: string): string => {
  const current = DEPRECATED_KEYS.get(key);
  if (current === undefined) return key;
  warnOnce(`the setting ${key} is deprecated: use ${current} instead`);
  return current;
};

const ingest = (name: string, values: Record<string, unknown>, source: (key: string) => string, warnUnknown: boolean): Layer => {
  const layer: Layer = { name, values: new Map(), source };
  for (const [rawKey, value] of Object.entries(values)) {
    const key = canonical(rawKey);
    const definition = SETTINGS_BY_KEY.get(key);
    if (definition) {
      layer.values.set(key, checkValue(definition, value, source(rawKey)));
    } else {
      if (warnUnknown) {
        const suggestion = closest(key, SETTINGS.map((s) => s.key));
        warnOnce(`unknown setting "${rawKey}" in ${source(rawKey)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`);
      }
      layer.values.set(key, value);
    }
  }
  return layer;
};

const installLayers = (flags: Record<string, unknown>, env: Record<string, string>, files: readonly FileLayer[]): void => {
  raw = { flags, env, files };
  flagLayer = ingest('flags', flags, (key) => `the command line (--setting ${key}=...)`, true);
  const envValues: Record<string, unknown> = {};
  const envNames = new Map<string, string>();
  for (const [name, text] of Object.entries(env)) {
    const key = name.slice(ENV_PREFIX.length).toLowerCase();
    envValues[key] = parseLooseValue(text);
    envNames.set(key, name);
  }
  envLayer = ingest('env', envValues, (key) => `the environment (${envNames.get(key) ?? `B2_${key.toUpperCase()}`})`, false);
  fileLayers = files.map((file, i) => ingest(`file${i}`, file.values as Record<string, unknown>, () => file.source, true));
  cache.clear();
};

/** Read the settings files (once) and take flags and environment. Throws a UserError for bad files or values. */
export const initSettings = async (init: SettingsInit): Promise<void> => {
  context = { cwd: init.cwd, pipelineDir: init.pipelineDir ?? init.cwd };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.env)) {
    if (name.startsWith(ENV_PREFIX) && !ENV_NOT_SETTINGS.has(name) && value !== undefined) env[name] = value;
  }
  installLayers({ ...init.flags }, env, await loadFileLayers(init.cwd, init.env));
};

/** The batch-job path: the runner's settings, without reading any file. */
export const initSettingsFromSnapshot = (snapshot: SettingsSnapshot): void => {
  context = { cwd: snapshot.cwd, pipelineDir: snapshot.pipelineDir };
  installLayers(snapshot.flags, snapshot.env, snapshot.files);
  for (const [key, value] of Object.entries(snapshot.set)) setValues.set(key, value);
  cache.clear();
};

export const exportSettingsSnapshot = (): SettingsSnapshot => ({
  cwd: context.cwd,
  pipelineDir: context.pipelineDir,
  flags: raw.flags,
  env: raw.env,
  set: Object.fromEntries(setValues),
  files: raw.files,
});

export const resetSettings = (): void => {
  context = { cwd: process.cwd(), pipelineDir: process.cwd() };
  installLayers({}, {}, []);
  setValues.clear();
  warnings.length = 0;
  warned.clear();
};

export const takeSettingsWarnings = (): string[] => warnings.splice(0);

/** Parse `key=value` from --setting; the value is JSON when it parses. */
export const parseSettingAssignment = (text: string): [string, unknown] => {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new UserError('bad-setting', `--setting ${JSON.stringify(text)} is not of the form key=value.`, {
      hint: 'For example --setting result_dir=/data/results or --setting \'env={"A":"1"}\'.',
    });
  }
  return [text.slice(0, eq).trim(), parseLooseValue(text.slice(eq + 1))];
};

export const setSetting = (key: string, value: unknown): void => {
  const name = canonical(key);
  const definition = SETTINGS_BY_KEY.get(name);
  setValues.set(name, definition ? checkValue(definition, value, 'setSetting() in the pipeline') : value);
  cache.delete(name);
};

export const clearSetting = (key: string): void => {
  const name = canonical(key);
  setValues.delete(name);
  cache.delete(name);
};

/** Most specific first. */
const layers = (): Layer[] => [flagLayer, envLayer, setLayer, ...fileLayers];

const defaultOf = (definition: SettingDefinition | undefined): Resolved | null => {
  if (!definition || !('default' in definition) || definition.default === undefined) return null;
  const value = typeof definition.default === 'function' ? (definition.default as (c: DefaultContext) => unknown)(context) : definition.default;
  return { value: structuredClone(value), source: 'default' };
};

/** The value without the task layer (cached per key). */
const resolveGlobal = (key: string): Resolved | null => {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const definition = SETTINGS_BY_KEY.get(key);
  let resolved: Resolved | null;
  if (definition && isMergedType(definition.type)) {
    // Least specific first, so more specific layers overwrite keys.
    const parts = [defaultOf(definition), ...layers().reverse().map((layer) => (layer.values.has(key) ? { value: layer.values.get(key), source: layer.source(key) } : null))];
    const present = parts.filter((p): p is Resolved => p !== null);
    const merged: Record<string, unknown> = {};
    for (const part of present) Object.assign(merged, part.value);
    const sources = present.filter((p) => p.source !== 'default' || present.length === 1).map((p) => p.source);
    resolved = present.length ? { value: merged, source: [...sources].reverse().join(' + ') } : null;
  } else {
    const layer = layers().find((l) => l.values.has(key));
    resolved = layer ? { value: layer.values.get(key), source: layer.source(key) } : defaultOf(definition);
  }
  cache.set(key, resolved);
  return resolved;
};

const camelCase = (key: string): string => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** A task's own value: attribute, getter, or a method called with no arguments. */
const fromTask = (task: object, key: string): Resolved | null => {
  let member: string | undefined;
  if (key in task && !(key in Object.prototype)) member = key;
  else {
    const camel = camelCase(key);
    if (camel !== key && camel in task && !(camel in Object.prototype)) member = camel;
  }
  if (member === undefined) return null;
  let value = (task as Record<string, unknown>)[member];
  if (typeof value === 'function') value = (value as () => unknown).call(task);
  if (value === undefined) return null;
  const family = (task as { taskFamily?: string }).taskFamily ?? task.constructor.name;
  const source = `task ${family} (${member})`;
  const definition = SETTINGS_BY_KEY.get(key);
  return { value: definition ? checkValue(definition, value, source) : value, source };
};

const resolve = (key: string, task: object | undefined): Resolved | null => {
  const global = resolveGlobal(key);
  const own = task ? fromTask(task, key) : null;
  if (!own) return global;
  const definition = SETTINGS_BY_KEY.get(key);
  if (definition && isMergedType(definition.type) && global) {
    return { value: { ...(global.value as object), ...(own.value as object) }, source: `${own.source} + ${global.source}` };
  }
  return own;
};

const copy = <T>(value: T): T => (typeof value === 'object' && value !== null ? (structuredClone(value) as T) : value);

export function getSetting<T = unknown>(key: string, options: { task?: object; default?: T } = {}): T {
  const name = canonical(key);
  const found = resolve(name, options.task);
  if (found) return copy(found.value) as T;
  if ('default' in options) return options.default as T;
  throw new UserError('missing-setting', `No value for setting "${name}".`, {
    hint: `Looked in: ${options.task ? 'the task, ' : ''}--setting ${name}=..., the environment (B2_${name.toUpperCase()}), setSetting() in the pipeline, settings.json files, the b2 config file; it has no default.`,
  });
}

export interface SettingExplanation {
  readonly key: string;
  readonly value: unknown;
  readonly source: string;
  readonly description: string;
}

export const explainSetting = (key: string, task?: object): SettingExplanation => {
  const name = canonical(key);
  const found = resolve(name, task);
  return {
    key: name,
    value: found ? found.value : undefined,
    source: found ? found.source : 'not set',
    description: SETTINGS_BY_KEY.get(name)?.description ?? 'user-defined setting',
  };
};

/** Every known setting, plus any other key that some layer sets. */
export const explainAllSettings = (task?: object): SettingExplanation[] => {
  const extra = new Set<string>();
  for (const layer of layers()) for (const key of layer.values.keys()) if (!SETTINGS_BY_KEY.has(key)) extra.add(key);
  return [...SETTINGS.map((s) => s.key), ...[...extra].sort()].map((key) => explainSetting(key, task));
};

export const formatSettings = (rows: readonly SettingExplanation[], options: { json: boolean }): string => {
  if (options.json) return JSON.stringify(rows, null, 2);
  const width = Math.max(...rows.map((row) => row.key.length));
  return rows
    .map((row) => `${row.key.padEnd(width)} = ${row.value === undefined ? '(not set)' : JSON.stringify(row.value)}  (${row.source})`)
    .join('\n');
};
