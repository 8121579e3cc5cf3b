/**
 * Settings files: `$B2_SETTINGS_JSON` or every settings.json from the working
 * directory upward (nearest first, as b2luigi), then the cosmiconfig `b2`
 * configuration found from the working directory or a parent folder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, errorMessage } from '../errors.js';

export interface FileLayer {
  /** e.g. "settings.json: /home/u/ana/settings.json". */
  readonly source: string;
  readonly values: Readonly<Record<string, unknown>>;
}

const readJsonSettings = (file: string): FileLayer => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError('bad-settings-file', `Cannot read settings file ${file}: ${errorMessage(error)}`, {
      hint: 'It must be a JSON object of setting names and values.',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError('bad-settings-file', `Settings file ${file} is not a JSON object.`);
  }
  return { source: `${path.basename(file)}: ${file}`, values: parsed as Record<string, unknown> };
};

/** settings.json files from `cwd` up to the root, nearest first. */
export const findSettingsJsonFiles = (cwd: string, env: Record<string, string | undefined>): string[] => {
  const explicit = env.B2_SETTINGS_JSON;
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) {
      throw new UserError('bad-settings-file', `B2_SETTINGS_JSON names ${file}, which does not exist.`, {
        hint: 'Point it at a settings file, or unset it to search for settings.json from the working directory upward.',
      });
    }
    return [file];
  }
  const files: string[] = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'settings.json');
    if (existsSync(file)) files.push(file);
    if (path.dirname(dir) === dir) return files;
  }
};

/** TypeScript config files: esbuild to a hidden module next to the file, imported, removed. */
const loadTypeScriptConfig = async (file: string): Promise<unknown> => {
  const esbuild = await import('esbuild');
  const { code } = await esbuild.transform(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.mjs`);
  writeFileSync(temporary, code);
  try {
    const module = (await import(pathToFileURL(temporary).href)) as { default?: unknown };
    return module.default;
  } finally {
    rmSync(temporary, { force: true });
  }
};

export const findConfigFile = async (cwd: string): Promise<FileLayer | undefined> => {
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('b2', {
    // 'global' climbs into parent folders (and ~/.config/b2); 'project' would stop at the first package.json.
    searchStrategy: 'global',
    loaders: { '.ts': loadTypeScriptConfig },
  });
  let result;
  try {
    result = await explorer.search(cwd);
  } catch (error) {
    throw new UserError('bad-settings-file', `Cannot read the b2 configuration: ${errorMessage(error)}`);
  }
  if (!result || result.isEmpty) return undefined;
  const config = result.config as unknown;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new UserError('bad-settings-file', `The b2 configuration in ${result.filepath} is not an object of settings.`);
  }
  const name = path.basename(result.filepath);
  return { source: `${name === 'package.json' ? 'package.json "b2"' : name}: ${result.filepath}`, values: config as Record<string, unknown> };
};

export const loadFileLayers = async (cwd: string, env: Record<string, string | undefined>): Promise<FileLayer[]> => {
  const layers = findSettingsJsonFiles(cwd, env).map(readJsonSettings);
  const config = await findConfigFile(cwd);
  if (config) layers.push(config);
  return layers;
};
