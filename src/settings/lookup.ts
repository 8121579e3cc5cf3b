/**
 * getSetting(): the task first, then flags, B2_* variables, setSetting(),
 * files (nearest first) and the default. Everything below the task layer is
 * resolved once per key and cached, because graphs of 100,000 tasks ask for
 * several settings per task.
 */
import { UserError } from '../errors.js';
import { currentName, envName, userEnvEntry, type Entry } from './layers.js';
import { currentState, resolvedCache, setLayer, type Resolved } from './state.js';
import { SETTINGS_BY_KEY, defaultOf, type SettingDefinition } from './table.js';
import { camelCase, readTaskSetting, taskName, taskSource, type TaskHit } from './task-layer.js';
import { checkValue, coerce, freshCopy, isMergedType, isPlainObject } from './values.js';
import { warn } from './warnings.js';

/** Lowest precedence first, each layer's keys winning over those before it. */
const mergeEntries = (entries: readonly Entry[]): Entry => {
  const value: Record<string, unknown> = {};
  for (let i = entries.length - 1; i >= 0; i--) Object.assign(value, entries[i]!.value);
  return { value, source: entries.map((entry) => entry.source).join(' + ') };
};

const computeResolved = (asked: string): Resolved => {
  const { inputs, layers } = currentState();
  const key = currentName(asked, `getSetting('${asked}')`, true);
  const definition = SETTINGS_BY_KEY.get(key);
  const merged = definition !== undefined && isMergedType(definition.type);
  const found = [
    layers.flags.get(key),
    definition ? layers.env.get(key) : userEnvEntry(inputs, key),
    setLayer.get(key),
    ...layers.files.map((file) => file.get(key)),
  ].filter((entry): entry is Entry => entry !== undefined);
  const layered = found.length === 0 ? undefined : merged ? mergeEntries(found) : found[0];

  const fallback = definition ? defaultOf(definition, inputs.context) : undefined;
  let effective: Entry | undefined = layered;
  if (fallback !== undefined) {
    if (layered === undefined) effective = { value: fallback, source: 'default' };
    else if (merged && isPlainObject(fallback) && Object.keys(fallback).length > 0) effective = { value: { ...fallback, ...(layered.value as object) }, source: `${layered.source} + default` };
  }

  const old = definition?.deprecated ?? [];
  const taskNames = [...new Set([key, camelCase(key), ...old])];
  return { key, definition, merged, taskNames, oldTaskNames: new Set(old), layered, effective };
};

export const resolve = (asked: string): Resolved => {
  let resolved = resolvedCache.get(asked);
  if (resolved === undefined) {
    resolved = computeResolved(asked);
    resolvedCache.set(asked, resolved);
  }
  return resolved;
};

/** Checked and normalised; the source is only worked out when the value is wrong. */
const normalise = (definition: SettingDefinition, value: unknown, source: () => string): unknown => {
  const result = coerce(definition.type, value);
  return result.ok ? result.value : checkValue(definition, value, { source: source() });
};

/** The caller's default, normalised like any other value, with the layers merged over it for object settings. */
const withDefault = (resolved: Resolved, fallback: unknown): unknown => {
  const given = resolved.definition && fallback !== undefined
    ? normalise(resolved.definition, fallback, () => `the default given to getSetting('${resolved.key}')`)
    : fallback;
  if (resolved.layered === undefined) return freshCopy(given);
  if (resolved.merged && isPlainObject(given)) return freshCopy({ ...given, ...(resolved.layered.value as object) });
  return freshCopy(resolved.layered.value);
};

export const taskValue = (resolved: Resolved, task: object, hit: TaskHit, options: { readonly default?: unknown } | undefined): unknown => {
  if (resolved.oldTaskNames.has(hit.member)) {
    warn(`The setting name ${hit.member} (on task ${taskName(task)}) is deprecated; use ${resolved.key} instead.`);
  }
  if (!resolved.definition) return freshCopy(hit.value);
  const value = normalise(resolved.definition, hit.value, () => taskSource(task, hit.member));
  if (!resolved.merged) return freshCopy(value);
  const below = options !== undefined && 'default' in options ? withDefault(resolved, options.default) : resolved.effective?.value;
  return freshCopy({ ...(isPlainObject(below) ? below : {}), ...(value as object) });
};

export const missingSetting = (resolved: Resolved, task: object | undefined): UserError => {
  const { key, definition } = resolved;
  const { layers, initialised } = currentState();
  const files = !initialised
    ? ['settings files (not read: settings were not initialised)']
    : layers.fileSources.length > 0
      ? layers.fileSources
      : ['settings.json files and the b2 configuration (none found)'];
  const places = [
    ...(task ? [`the task ${taskName(task)} (${resolved.taskNames.join(', ')})`] : []),
    `the command line (--setting ${key}=...)`,
    `the environment (${envName(key)})`,
    'setSetting() in the pipeline',
    ...files,
  ];
  return new UserError('missing-setting', `No value for setting ${key}: it is not set in ${places.join('; ')}, and it has no default.`, {
    hint: `${definition ? `${key}: ${definition.description}. ` : ''}Set it with --setting ${key}=VALUE, ${envName(key)}, or in settings.json.`,
  });
};

export function getSetting<T = unknown>(key: string, options?: { task?: object; default?: T }): T {
  const resolved = resolve(key);
  const task = options?.task;
  if (task !== undefined) {
    const hit = readTaskSetting(task, resolved.taskNames);
    if (hit !== undefined) return taskValue(resolved, task, hit, options) as T;
  }
  if (options !== undefined && 'default' in options) return withDefault(resolved, options.default) as T;
  if (resolved.effective !== undefined) return freshCopy(resolved.effective.value) as T;
  throw missingSetting(resolved, task);
}
