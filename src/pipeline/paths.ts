/**
 * Output, log and task-file paths derived from parameters:
 *   <result_dir>/<p1>=<v1>/<p2>=<v2>/<name>
 *   <log_dir>/<p1>=<v1>/<p2>=<v2>/<Family>/stdout
 *   <task_file_dir>/<params, hidden ones too>/<Family>/
 */
import { createHash } from 'node:crypto';
import { b2luigiDigest } from './python-repr.js';
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { getSetting } from '../settings/index.js';
import { resolveFromPipeline } from './context.js';
import { isHidden, type ParamDef, type ParamSpec } from './params.js';
import { jobFilesIn } from '../run/layout.js';

/**
 * What a path needs of a task: its family and parameter values (a Task has
 * both; defined here so that paths need not know the Task class, which uses them).
 */
export interface PathSubject {
  readonly taskFamily: string;
  readonly paramValues: Readonly<Record<string, unknown>>;
}

interface SegmentCache {
  visible?: readonly string[];
  all?: readonly string[];
}
const segmentCache = new WeakMap<object, SegmentCache>();

const specOf = (task: PathSubject): ParamSpec => (task.constructor as unknown as { paramSpec: ParamSpec }).paramSpec;

/** The path text of one value: the canonical text, or `hashed_<md5>` for hashed parameters. */
export const pathValue = (def: ParamDef<unknown>, value: unknown): string => {
  if (def.options.hashed) {
    if (def.options.hashFunction) return def.options.hashFunction(value);
    if (def.options.hashed === 'b2luigi') return b2luigiDigest(def.toJSON(value), def.kind);
    return `hashed_${createHash('md5').update(def.serialize(value)).digest('hex')}`;
  }
  return def.serialize(value);
};

/** Folder names for a task's parameters, in declaration order. */
export const parameterSegments = (task: PathSubject, includeHidden = false): readonly string[] => {
  let cache = segmentCache.get(task);
  if (!cache) segmentCache.set(task, (cache = {}));
  const cached = includeHidden ? cache.all : cache.visible;
  if (cached) return cached;

  const separator = getSetting<string>('parameter_separator', { task });
  const withNames = getSetting<boolean>('use_parameter_name_in_output', { task });
  const values = task.paramValues;
  const segments: string[] = [];
  for (const [name, def] of Object.entries(specOf(task))) {
    if (!includeHidden && isHidden(def)) continue;
    const text = pathValue(def, values[name]);
    if (text.includes('/') || text === '.' || text === '..') {
      throw new UserError(
        'bad-parameter-value',
        `Parameter \`${name}${separator}${text}\` of ${task.taskFamily} cannot be used as a folder name.`,
        { hint: `Values in output paths may not contain "/". Declare the parameter with { hashed: true } (or hidden: true).` },
      );
    }
    const segment = withNames ? `${name}${separator}${text}` : text;
    checkFolderName(task, name, text, segment);
    segments.push(segment);
  }
  if (includeHidden) cache.all = segments;
  else cache.visible = segments;
  return segments;
};

// File systems take at most 255 bytes per name (NAME_MAX on Linux, also NFS and tmpfs).
const MAX_NAME_BYTES = 255;

/** A value no folder can be named after is bad input, found while the graph is built, before anything runs. */
const checkFolderName = (task: PathSubject, name: string, text: string, segment: string): void => {
  const hint = 'Declare the parameter with { hashed: true } (or hidden: true), so that its value is not a folder name.';
  if (text.includes('\0')) {
    throw new UserError('bad-parameter-value', `Parameter \`${name}\` of ${task.taskFamily} contains a NUL character, which no file or folder name can hold.`, { hint });
  }
  const bytes = Buffer.byteLength(segment);
  if (bytes > MAX_NAME_BYTES) {
    throw new UserError(
      'bad-parameter-value',
      `Parameter \`${name}\` of ${task.taskFamily} makes a folder name of ${bytes} bytes (${describeStart(segment)}); file systems take at most ${MAX_NAME_BYTES}.`,
      { hint },
    );
  }
};

const describeStart = (segment: string): string => `"${segment.slice(0, 40)}..."`;

const folderSetting = (key: string, task: PathSubject): string => resolveFromPipeline(getSetting<string>(key, { task }));

// Below a file, stat says ENOTDIR rather than "no such entry": either way, look further up.
const statOrNothing = (file: string): Stats | undefined => {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
};

/**
 * Folder settings (result_dir, log_dir, task_file_dir) that name a file, or
 * a path below one, can hold nothing: bad input, told before anything runs
 * rather than by every task failing.
 */
export const checkFolderSettings = (keys: readonly string[]): void => {
  for (const key of keys) {
    const folder = resolveFromPipeline(getSetting<string>(key));
    for (let dir = folder; ; dir = path.dirname(dir)) {
      const stats = statOrNothing(dir);
      if (stats?.isDirectory()) break;
      if (stats) {
        throw new UserError('bad-folder', `${key} ${folder} cannot be a folder: ${dir} is a file.`, {
          hint: `Set ${key} to a folder (--setting ${key}=DIR, settings.json or B2_${key.toUpperCase()}), or move the file away.`,
        });
      }
      if (path.dirname(dir) === dir) break;
    }
  }
};

export const outputPath = (task: PathSubject, name: string): string =>
  path.join(folderSetting('result_dir', task), ...parameterSegments(task), name);

/** `<log_dir>/<params>/<Family>`, or the task's own getLogFileDir(). */
export const logDir = (task: PathSubject): string => {
  const custom = (task as unknown as { getLogFileDir?: () => string }).getLogFileDir;
  if (typeof custom === 'function') return resolveFromPipeline(custom.call(task));
  return path.join(folderSetting('log_dir', task), ...parameterSegments(task), task.taskFamily);
};

/** `<task_file_dir>/<params incl. hidden>/<Family>`, or the task's own getTaskFileDir(). */
export const taskFileDir = (task: PathSubject): string => {
  const custom = (task as unknown as { getTaskFileDir?: () => string }).getTaskFileDir;
  if (typeof custom === 'function') return resolveFromPipeline(custom.call(task));
  return path.join(folderSetting('task_file_dir', task), ...parameterSegments(task, true), task.taskFamily);
};

export interface LogPaths {
  readonly dir: string;
  readonly stdout: string;
  readonly stderr: string;
}

export const logPaths = (task: PathSubject): LogPaths => {
  const dir = logDir(task);
  const { stdout, stderr } = jobFilesIn(dir);
  return { dir, stdout, stderr };
};
