/**
 * Turning what the user gave (flags, B2_* variables, file contents) into
 * checked layers: values keyed by their current name, normalised by type,
 * each with the source that `b2 settings` and error messages name.
 * Everything here is pure (no I/O), so a batch worker can rebuild the
 * layers from a snapshot as cheaply as the runner built them.
 */
import { closest } from '../util/closest.js';
import { DEPRECATED_KEYS, KNOWN_KEYS, SETTINGS_BY_KEY, type DefaultContext } from './table.js';
import { checkValue, jsonPathStep, parseSettingText } from './values.js';
import { warn } from './warnings.js';

export interface Entry {
  readonly value: unknown;
  readonly source: string;
}

/** The raw inputs: JSON-serialisable, so they travel to workers as they are. */
export interface RawInputs {
  readonly context: DefaultContext;
  readonly flags: Readonly<Record<string, unknown>>;
  /** Setting key -> the dedicated flag that gave it (e.g. result_dir -> --result-dir). */
  readonly flagSources: Readonly<Record<string, string>>;
  /** Only the B2_* variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Highest precedence first. */
  readonly files: ReadonlyArray<{ readonly source: string; readonly values: Readonly<Record<string, unknown>> }>;
}

export interface Layers {
  readonly flags: ReadonlyMap<string, Entry>;
  readonly env: ReadonlyMap<string, Entry>;
  /** Highest precedence first, like RawInputs.files. */
  readonly files: ReadonlyArray<ReadonlyMap<string, Entry>>;
  /** For the "looked in" list of a missing setting. */
  readonly fileSources: readonly string[];
}

export const envName = (key: string): string => `B2_${key.toUpperCase()}`;

/** The current name of a setting, warning once when an old (b2luigi) name is used. */
export const currentName = (name: string, where: string, report: boolean): string => {
  const current = DEPRECATED_KEYS.get(name);
  if (current === undefined) return name;
  if (report) warn(`The setting name ${name} (${where}) is deprecated; use ${current} instead.`);
  return current;
};

const warnUnknown = (name: string, where: string): void => {
  const suggestion = closest(name, KNOWN_KEYS);
  warn(
    suggestion
      ? `Unknown setting ${name} (${where}): did you mean ${suggestion}?`
      : `Unknown setting ${name} (${where}): b2 does not use it; pipeline code can still read it with getSetting().`,
  );
};

/**
 * Puts a value under its current name. A value given under the current name
 * beats one under an old name in the same layer, whatever the order.
 */
const put = (layer: Map<string, Entry & { readonly viaOldName: boolean }>, key: string, entry: Entry, viaOldName: boolean): void => {
  const existing = layer.get(key);
  if (existing && !existing.viaOldName && viaOldName) return;
  layer.set(key, { ...entry, viaOldName });
};

const flagText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

const buildFlags = (inputs: RawInputs, report: boolean): Map<string, Entry> => {
  const layer = new Map<string, Entry & { viaOldName: boolean }>();
  for (const [name, given] of Object.entries(inputs.flags)) {
    if (given === undefined) continue;
    const dedicated = inputs.flagSources[name];
    const source = dedicated ? `flag ${dedicated}` : `flag --setting ${name}=${flagText(given)}`;
    const key = currentName(name, source, report);
    const definition = SETTINGS_BY_KEY.get(key);
    if (!definition && report) warnUnknown(name, source);
    // Dedicated flags pass text as typed; --setting values arrive already parsed.
    const value = definition && typeof given === 'string' ? parseSettingText(definition, given) : given;
    put(layer, key, { value: definition ? checkValue(definition, value, { source }) : value, source }, key !== name);
  }
  return layer;
};

const buildEnv = (inputs: RawInputs, report: boolean): Map<string, Entry> => {
  const layer = new Map<string, Entry & { viaOldName: boolean }>();
  // Unknown B2_* variables are not settings errors: other tools and b2 itself use the prefix.
  const names = [...KNOWN_KEYS, ...DEPRECATED_KEYS.keys()];
  for (const name of names) {
    const variable = envName(name);
    const text = inputs.env[variable];
    if (text === undefined) continue;
    const source = `env ${variable}`;
    const key = currentName(name, source, report);
    const definition = SETTINGS_BY_KEY.get(key)!;
    put(layer, key, { value: checkValue(definition, parseSettingText(definition, text), { source }), source }, key !== name);
  }
  return layer;
};

const buildFile = (file: RawInputs['files'][number], report: boolean): Map<string, Entry> => {
  const layer = new Map<string, Entry & { viaOldName: boolean }>();
  const source = file.source;
  for (const [name, value] of Object.entries(file.values)) {
    const key = currentName(name, `in ${source}`, report);
    const definition = SETTINGS_BY_KEY.get(key);
    if (!definition) {
      if (report) warnUnknown(name, `in ${source}`);
      put(layer, key, { value, source }, false);
      continue;
    }
    put(layer, key, { value: checkValue(definition, value, { source, jsonPath: `$${jsonPathStep(name)}` }), source }, key !== name);
  }
  return layer;
};

/** Checks every layer; throws a UserError for the first bad value. `report` adds warnings. */
export const buildLayers = (inputs: RawInputs, report: boolean): Layers => ({
  flags: buildFlags(inputs, report),
  env: buildEnv(inputs, report),
  files: inputs.files.map((file) => buildFile(file, report)),
  fileSources: inputs.files.map((file) => file.source),
});

/** An unknown (user-defined) key read from B2_<KEY>: untyped, JSON when it parses. */
export const userEnvEntry = (inputs: RawInputs, key: string): Entry | undefined => {
  const variable = envName(key);
  const text = inputs.env[variable];
  return text === undefined ? undefined : { value: parseSettingText(undefined, text), source: `env ${variable}` };
};

/** Keys with a value in some layer but not in the table: pipeline-defined settings, for `b2 settings`. */
export const userDefinedKeys = (layers: Layers, setLayer: ReadonlyMap<string, Entry>): string[] => {
  const keys = new Set<string>();
  for (const layer of [layers.flags, setLayer, ...layers.files]) {
    for (const key of layer.keys()) if (!SETTINGS_BY_KEY.has(key)) keys.add(key);
  }
  return [...keys].sort();
};
