/**
 * Settings files: `$B2_SETTINGS_JSON` alone, or every settings.json from the
 * working directory upward (nearest first, as b2luigi), then the cosmiconfig
 * `b2` configuration found from the working directory or a parent folder.
 * This module, cosmiconfig and esbuild are imported only when files are
 * read, so batch workers (settings from a snapshot) never load them.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, errorMessage } from '../errors.js';
import { isPlainObject } from './values.js';

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
  if (!isPlainObject(parsed)) {
    throw new UserError('bad-settings-file', `Settings file ${file} is not a JSON object of settings.`, {
      hint: 'Write it as {"setting_name": value, ...}.',
    });
  }
  return { source: `${path.basename(file)}: ${file}`, values: parsed };
};

/** `$B2_SETTINGS_JSON`, else settings.json files from `cwd` up to the root, nearest first. */
export const findSettingsJsonFiles = (cwd: string, env: Readonly<Record<string, string | undefined>>): string[] => {
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

/**
 * esbuild instead of cosmiconfig's TypeScript loader, which needs the
 * TypeScript compiler and costs over a second. The module is written next to
 * the config so its relative imports resolve; a fresh name per load because
 * Node caches modules by URL.
 */
let loads = 0;

export const loadTypeScriptConfig = async (file: string): Promise<unknown> => {
  const esbuild = await import('esbuild');
  const { code } = await esbuild.transform(readFileSync(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: file,
  });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${Date.now()}-${++loads}.mjs`);
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
    // 'global' climbs into parent folders (then ~/.config/b2); 'project' would stop at the first package.json.
    searchStrategy: 'global',
    cache: false,
    loaders: { '.ts': loadTypeScriptConfig },
  });
  let result;
  try {
    result = await explorer.search(cwd);
  } catch (error) {
    const file = (error as { filepath?: unknown }).filepath;
    throw new UserError(
      'bad-settings-file',
      `Cannot read the b2 configuration${typeof file === 'string' ? ` ${file}` : ''}: ${errorMessage(error)}`,
    );
  }
  if (!result || result.isEmpty) return undefined;
  const config = result.config as unknown;
  if (!isPlainObject(config)) {
    throw new UserError('bad-settings-file', `The b2 configuration in ${result.filepath} is not an object of settings.`, {
      hint: 'A config module must `export default { setting_name: value, ... }`.',
    });
  }
  const name = path.basename(result.filepath);
  return { source: `${name === 'package.json' ? 'package.json "b2"' : name}: ${result.filepath}`, values: config };
};

/** Highest precedence first: the nearest settings.json, ..., the farthest, then the b2 configuration. */
export const loadFileLayers = async (cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<FileLayer[]> => {
  const layers = findSettingsJsonFiles(cwd, env).map(readJsonSettings);
  const config = await findConfigFile(cwd);
  if (config) layers.push(config);
  return layers;
};
