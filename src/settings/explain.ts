/**
 * `b2 settings`: every effective value and where it came from, so a user can
 * see which of the seven places answered before a run goes to the farm.
 */
import { userDefinedKeys } from './layers.js';
import { missingSetting, resolve, taskValue } from './lookup.js';
import { currentState, setLayer } from './state.js';
import { KNOWN_KEYS } from './table.js';
import { readTaskSetting, taskSource } from './task-layer.js';
import { freshCopy } from './values.js';

export interface ExplainedSetting {
  key: string;
  value: unknown;
  source: string;
  description: string;
}

const USER_DEFINED = 'set by the pipeline or the user; b2 itself does not read it';

/** The effective value of `key` for `task` (or with no task) and where it came from. Optional settings left unset give value undefined. */
export function explainSetting(key: string, task?: object): ExplainedSetting {
  const resolved = resolve(key);
  const description = resolved.definition?.description ?? USER_DEFINED;
  if (task !== undefined) {
    const hit = readTaskSetting(task, resolved.taskNames);
    if (hit !== undefined) {
      const below = resolved.merged ? resolved.effective : undefined;
      const source = taskSource(task, hit.member) + (below && below.source !== 'default' ? ` + ${below.source}` : '');
      return { key: resolved.key, value: taskValue(resolved, task, hit, undefined), source, description };
    }
  }
  if (resolved.effective !== undefined) {
    return { key: resolved.key, value: freshCopy(resolved.effective.value), source: resolved.effective.source, description };
  }
  if (resolved.definition !== undefined) return { key: resolved.key, value: undefined, source: 'not set', description };
  throw missingSetting(resolved, task);
}

/** Every known setting that has a value or a default, in table order, then the pipeline-defined ones. */
export function explainAllSettings(task?: object): ExplainedSetting[] {
  const known = KNOWN_KEYS.map((key) => explainSetting(key, task)).filter((row) => row.value !== undefined);
  const extra = userDefinedKeys(currentState().layers, setLayer).map((key) => explainSetting(key, task));
  return [...known, ...extra];
}

/** Long values (executable paths) would push every source far right; past this width they just overflow. */
const MAX_VALUE_COLUMN = 40;

/** One aligned line per setting, `key = value  (source)` with JSON-encoded values; or a JSON array. No trailing newline. */
export function formatSettings(rows: readonly ExplainedSetting[], options: { json: boolean }): string {
  if (options.json) return JSON.stringify(rows, null, 2);
  const values = rows.map((row) => (row.value === undefined ? 'not set' : JSON.stringify(row.value)));
  const keyWidth = Math.max(0, ...rows.map((row) => row.key.length));
  const valueWidth = Math.min(MAX_VALUE_COLUMN, Math.max(0, ...values.map((value) => value.length)));
  return rows.map((row, i) => `${row.key.padEnd(keyWidth)} = ${values[i]!.padEnd(valueWidth)}  (${row.source})`).join('\n');
}
