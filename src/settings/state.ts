/**
 * The process-wide settings state: the checked layers from the last
 * initialisation, the setSetting() layer, and the per-key resolution cache
 * that makes a lookup without a task hit a single map lookup.
 */
import { buildLayers, currentName, type Entry, type Layers, type RawInputs } from './layers.js';
import { SETTINGS_BY_KEY, type SettingDefinition } from './table.js';
import { checkValue, freshCopy } from './values.js';

export interface State {
  readonly inputs: RawInputs;
  readonly layers: Layers;
  /** False while running on defaults because nothing initialised the settings (library use, unit tests). */
  readonly initialised: boolean;
}

let state: State | undefined;

/** Kept across initialisations: a pipeline module may call setSetting() before or after them. */
export const setLayer = new Map<string, Entry>();

/** A key's resolution without the task layer, as lookups need it. */
export interface Resolved {
  /** The current name (an old name asked for resolves to its successor). */
  readonly key: string;
  readonly definition: SettingDefinition | undefined;
  readonly merged: boolean;
  /** Members tried on a task, in order. */
  readonly taskNames: readonly string[];
  readonly oldTaskNames: ReadonlySet<string>;
  /** From flags, env, setSetting() and files (merged for object settings); undefined when no layer has it. */
  readonly layered: Entry | undefined;
  /** `layered` over the table default; undefined when neither exists. */
  readonly effective: Entry | undefined;
}

/** Key as asked -> its resolution without the task layer. Cleared whenever a layer changes. */
export const resolvedCache = new Map<string, Resolved>();

export const SET_SOURCE = 'setSetting() in the pipeline';

/** Only B2_* variables matter; keeping just those keeps snapshots small and free of unrelated secrets. */
export const pickB2Variables = (env: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (name.startsWith('B2_') && value !== undefined) picked[name] = value;
  return picked;
};

export const currentState = (): State => {
  if (state === undefined) {
    const cwd = process.cwd();
    const inputs: RawInputs = { context: { cwd, pipelineDir: cwd }, flags: {}, flagSources: {}, env: pickB2Variables(process.env), files: [] };
    state = { inputs, layers: buildLayers(inputs, true), initialised: false };
  }
  return state;
};

/** Checks every layer first, so a bad value leaves the previous state in place. */
export const installInputs = (inputs: RawInputs, report: boolean): void => {
  const layers = buildLayers(inputs, report);
  state = { inputs, layers, initialised: true };
  resolvedCache.clear();
};

const invalidate = (key: string): void => {
  resolvedCache.delete(key);
  for (const old of SETTINGS_BY_KEY.get(key)?.deprecated ?? []) resolvedCache.delete(old);
};

/** A setSetting() entry, checked against the table; unknown (pipeline-defined) keys are kept untyped. */
export const setEntry = (key: string, value: unknown): Entry => {
  const definition = SETTINGS_BY_KEY.get(key);
  // A copy, so changing the caller's object later cannot change the setting (b2luigi shares them).
  return { value: definition ? checkValue(definition, value, { source: SET_SOURCE }) : freshCopy(value), source: SET_SOURCE };
};

export const setSetting = (key: string, value: unknown): void => {
  const name = currentName(key, 'setSetting()', true);
  if (value === undefined) {
    clearSetting(name);
    return;
  }
  setLayer.set(name, setEntry(name, value));
  invalidate(name);
};

export const clearSetting = (key: string): void => {
  const name = currentName(key, 'clearSetting()', false);
  setLayer.delete(name);
  invalidate(name);
};

export const replaceSetLayer = (entries: ReadonlyMap<string, Entry>): void => {
  setLayer.clear();
  for (const [key, entry] of entries) setLayer.set(key, entry);
  resolvedCache.clear();
};

export const resetState = (): void => {
  state = undefined;
  setLayer.clear();
  resolvedCache.clear();
};
