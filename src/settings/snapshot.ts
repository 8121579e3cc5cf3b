/**
 * The settings of a run, carried to batch jobs and pool workers as JSON, so
 * a worker sees exactly what the runner saw without searching for or reading
 * any settings file (thousands of jobs, each starting cold).
 */
import { UserError } from '../errors.js';
import type { Entry } from './layers.js';
import { currentState, installInputs, replaceSetLayer, setEntry, setLayer } from './state.js';
import { freshCopy, isJsonValue, isPlainObject } from './values.js';

export interface SettingsSnapshot {
  readonly version: 1;
  readonly cwd: string;
  readonly pipelineDir: string;
  /** As given to initSettings. */
  readonly flags: Record<string, unknown>;
  readonly flagSources: Record<string, string>;
  /** The B2_* environment variables of the runner. */
  readonly env: Record<string, string>;
  /** File layers with their sources, highest precedence first, as read. */
  readonly files: Array<{ readonly source: string; readonly values: Record<string, unknown> }>;
  /** setSetting() values, already checked. */
  readonly set: Record<string, unknown>;
}

/**
 * Values JSON cannot carry (functions, class instances a pipeline-defined
 * setting may hold) are left out; the worker imports the pipeline, which
 * sets those again.
 */
const jsonEntries = (values: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) if (isJsonValue(value)) kept[key] = freshCopy(value);
  return kept;
};

export function exportSettingsSnapshot(): SettingsSnapshot {
  const { inputs } = currentState();
  const set: Record<string, unknown> = {};
  for (const [key, entry] of setLayer) set[key] = entry.value;
  return {
    version: 1,
    cwd: inputs.context.cwd,
    pipelineDir: inputs.context.pipelineDir,
    flags: jsonEntries(inputs.flags),
    flagSources: { ...inputs.flagSources },
    env: { ...inputs.env },
    files: inputs.files.map((file) => ({ source: file.source, values: jsonEntries(file.values) })),
    set: jsonEntries(set),
  };
}

const badSnapshot = (detail: string): UserError =>
  new UserError('bad-settings-snapshot', `The run's settings snapshot is unusable: ${detail}.`, {
    hint: 'The run was probably started by another version of b2; start it again with this one.',
  });

/** No file I/O: the batch worker path. Replaces every layer, setSetting() values included. */
export function initSettingsFromSnapshot(snapshot: SettingsSnapshot): void {
  if (!isPlainObject(snapshot) || snapshot.version !== 1) throw badSnapshot(`version ${JSON.stringify((snapshot as { version?: unknown } | null)?.version)}, expected 1`);
  if (!Array.isArray(snapshot.files) || !isPlainObject(snapshot.set)) throw badSnapshot('files or set values are missing');
  const set = new Map<string, Entry>();
  for (const [key, value] of Object.entries(snapshot.set)) set.set(key, setEntry(key, value));
  installInputs(
    {
      context: { cwd: snapshot.cwd, pipelineDir: snapshot.pipelineDir },
      flags: snapshot.flags ?? {},
      flagSources: snapshot.flagSources ?? {},
      env: snapshot.env ?? {},
      files: snapshot.files,
    },
    false,
  );
  replaceSetLayer(set);
}
