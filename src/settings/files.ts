/**
 * Settings files: `$B2_SETTINGS_JSON` alone, or every settings.json from the
 * working directory up to the project root (nearest first, as b2luigi), then
 * the cosmiconfig `b2` configuration nearest to the working directory, within
 * the same folders. A configuration that runs code must be the user's alone.
 * This module, cosmiconfig and esbuild are imported only when files are
 * read, so batch workers (settings from a snapshot) never load them.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, errorMessage } from '../errors.js';
import { settingsSearchDirs } from './project-root.js';
import { assertTrustedToExecute } from './trust.js';
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

/** `$B2_SETTINGS_JSON`, else settings.json files from `cwd` up to the project root, nearest first. */
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
  return settingsSearchDirs(cwd)
    .map((dir) => path.join(dir, 'settings.json'))
    .filter((file) => existsSync(file));
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

// Config files whose loading runs their code.
const EXECUTED = new Set(['.js', '.cjs', '.mjs', '.ts']);

const loaderFor = async (file: string): Promise<(file: string, content: string) => unknown> => {
  const extension = path.extname(file);
  if (extension === '.ts') return loadTypeScriptConfig;
  const { defaultLoaders } = await import('cosmiconfig');
  return defaultLoaders[(extension || 'noExt') as keyof typeof defaultLoaders];
};

/** The file's configuration, or undefined when it holds none (empty, or a package.json without "b2"). */
const loadConfigFile = async (file: string, searchDir: string): Promise<unknown> => {
  const content = readFileSync(file, 'utf8');
  if (content.trim() === '') return undefined;
  if (EXECUTED.has(path.extname(file))) assertTrustedToExecute(file, searchDir);
  let loaded: unknown;
  try {
    loaded = await (await loaderFor(file))(file, content);
  } catch (error) {
    throw new UserError('bad-settings-file', `Cannot read the b2 configuration ${file}: ${errorMessage(error)}`);
  }
  if (path.basename(file) !== 'package.json') return loaded ?? undefined;
  return isPlainObject(loaded) ? loaded.b2 : undefined;
};

const isFile = (file: string): boolean => statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;

/**
 * The cosmiconfig `b2` configuration nearest to `cwd`, searched in
 * cosmiconfig's places but only up to the project root, and without
 * cosmiconfig's own search: that one also reads a meta configuration (which
 * may be JavaScript) from the working directory and follows `$import` to
 * any file.
 */
export const findConfigFile = async (cwd: string): Promise<FileLayer | undefined> => {
  const { getDefaultSearchPlaces } = await import('cosmiconfig');
  const places = getDefaultSearchPlaces('b2');
  for (const dir of settingsSearchDirs(cwd)) {
    for (const place of places) {
      const file = path.join(dir, place);
      if (!isFile(file)) continue;
      const config = await loadConfigFile(file, dir);
      if (config === undefined) continue;
      if (!isPlainObject(config)) {
        throw new UserError('bad-settings-file', `The b2 configuration in ${file} is not an object of settings.`, {
          hint: 'A config module must `export default { setting_name: value, ... }`.',
        });
      }
      const name = path.basename(file);
      return { source: `${name === 'package.json' ? 'package.json "b2"' : name}: ${file}`, values: config };
    }
  }
  return undefined;
};

/** Highest precedence first: the nearest settings.json, ..., the farthest, then the b2 configuration. */
export const loadFileLayers = async (cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<FileLayer[]> => {
  const layers = findSettingsJsonFiles(cwd, env).map(readJsonSettings);
  const config = await findConfigFile(cwd);
  if (config) layers.push(config);
  return layers;
};
