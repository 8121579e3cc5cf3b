/**
 * Initialisation on the submitting side: the only place that reads settings
 * files. Files are read once per working directory and kept, so commands
 * that initialise again (run, then status) do not read them twice.
 */
import path from 'node:path';
import type { FileLayer } from './files.js';
import { installInputs, pickB2Variables, resetState } from './state.js';
import { resetWarnings } from './warnings.js';

export interface SettingsInit {
  /** Where settings.json and the b2 configuration are searched from. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** Setting key -> value, from `--setting key=value` and dedicated flags. */
  flags: Record<string, unknown>;
  /** The pipeline file's folder: the default working_dir. */
  pipelineDir?: string;
  /** Setting key -> the dedicated flag that set it (e.g. result_dir -> "--result-dir"), for `b2 settings`. */
  flagSources?: Record<string, string>;
}

const fileCache = new Map<string, Promise<FileLayer[]>>();

const readFilesOnce = (cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<FileLayer[]> => {
  const cacheKey = `${cwd}\0${env.B2_SETTINGS_JSON ?? ''}`;
  let files = fileCache.get(cacheKey);
  if (files === undefined) {
    files = import('./files.js').then(({ loadFileLayers }) => loadFileLayers(cwd, env));
    // A failed read (a broken file the user is about to fix) must not stick.
    files.catch(() => fileCache.delete(cacheKey));
    fileCache.set(cacheKey, files);
  }
  return files;
};

/** Reads the files (once), checks every layer, and makes the result current. Throws UserError on bad files or values. */
export async function initSettings(init: SettingsInit): Promise<void> {
  const cwd = path.resolve(init.cwd);
  const files = await readFilesOnce(cwd, init.env);
  installInputs(
    {
      context: { cwd, pipelineDir: path.resolve(cwd, init.pipelineDir ?? cwd) },
      flags: { ...init.flags },
      flagSources: { ...init.flagSources },
      env: pickB2Variables(init.env),
      files,
    },
    true,
  );
}

/** Back to the state of a fresh process: no layers, no setSetting() values, no cached files or warnings. */
export function resetSettings(): void {
  resetState();
  fileCache.clear();
  resetWarnings();
}
