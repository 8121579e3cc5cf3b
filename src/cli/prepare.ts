/**
 * What `run` and `settings` share: settings from every layer, the pipeline
 * module, and the root tasks.
 */
import chalk from 'chalk';
import path from 'node:path';
import { loadPipeline, type LoadedPipeline } from '../pipeline/load.js';
import { selectRoots, type CommandOptions } from '../pipeline/select.js';
import type { Task } from '../pipeline/task.js';
import { initSettings, parseSettingAssignment, takeSettingsWarnings } from '../settings/index.js';

/** Dedicated flags for common settings: option name -> setting key. */
export const SETTING_FLAGS = {
  resultDir: 'result_dir',
  logDir: 'log_dir',
  batchSystem: 'batch_system',
} as const;

export interface CommonFlags {
  readonly setting?: readonly string[];
  readonly resultDir?: string;
  readonly logDir?: string;
  readonly batchSystem?: string;
}

export const settingFlags = (options: CommonFlags, extra: Record<string, unknown> = {}): Record<string, unknown> => {
  const flags: Record<string, unknown> = {};
  for (const assignment of options.setting ?? []) {
    const [key, value] = parseSettingAssignment(assignment);
    flags[key] = value;
  }
  for (const [option, key] of Object.entries(SETTING_FLAGS)) {
    const value = options[option as keyof typeof SETTING_FLAGS];
    if (value !== undefined) flags[key] = value;
  }
  return { ...flags, ...extra };
};

/** Dedicated flags given: setting key -> the flag, so `b2 settings` can name it as the source. */
export const dedicatedFlagSources = (options: CommonFlags): Record<string, string> => {
  const sources: Record<string, string> = {};
  for (const [option, key] of Object.entries(SETTING_FLAGS)) {
    if (options[option as keyof typeof SETTING_FLAGS] !== undefined) {
      sources[key] = `--${option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    }
  }
  return sources;
};

export interface Prepared {
  readonly pipeline: LoadedPipeline;
  readonly roots: Task[];
}

export const printSettingsWarnings = (): void => {
  for (const warning of takeSettingsWarnings()) process.stderr.write(`${chalk.yellow('warning:')} ${warning}\n`);
};

export const preparePipeline = async (
  file: string,
  taskName: string | undefined,
  taskArgs: readonly string[],
  flags: Record<string, unknown>,
  flagSources: Record<string, string> = {},
  command?: CommandOptions,
): Promise<Prepared> => {
  const pipelineDir = path.dirname(path.resolve(file));
  await initSettings({ cwd: process.cwd(), env: process.env, flags, flagSources, pipelineDir });
  const pipeline = await loadPipeline(file);
  printSettingsWarnings();
  const roots = await selectRoots(pipeline.module, file, { taskName, taskArgs, ...(command ? { command } : {}) });
  return { pipeline, roots };
};
