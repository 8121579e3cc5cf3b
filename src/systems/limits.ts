/**
 * What a site allows per array, read from its configuration once per run:
 * Slurm `scontrol show config` (MaxArraySize, MaxJobCount), Grid Engine
 * `qconf -sconf` (max_aj_tasks), LSF `bparams -a` (MAX_JOB_ARRAY_SIZE).
 * Pure parsers; a value the output does not give stays undefined.
 */
import type { SiteLimits } from './contract.js';

/** Elements per array when neither the site nor the `array_size` setting says. */
export const DEFAULT_ARRAY_SIZE = 1000;

// `Key = value` (scontrol, bparams) or `key value` (qconf) lines.
const configValue = (text: string, key: string, separator: RegExp): string | undefined => {
  for (const line of text.split('\n')) {
    const match = new RegExp(`^\\s*${key}${separator.source}(.*)$`).exec(line);
    if (match !== null) return match[1]!.trim();
  }
  return undefined;
};

const positive = (text: string | undefined): number | undefined => {
  const match = /^(\d+)\b/.exec(text ?? '');
  if (match === null) return undefined;
  const value = Number(match[1]);
  return value > 0 ? value : undefined;
};

const limits = (maxArraySize: number | undefined, maxJobs: number | undefined): SiteLimits => ({
  ...(maxArraySize === undefined ? {} : { maxArraySize }),
  ...(maxJobs === undefined ? {} : { maxJobs }),
});

/**
 * Slurm: array indices run from 0 to MaxArraySize - 1, and b2 numbers
 * elements from 1, so an array holds at most MaxArraySize - 1 of them; each
 * element counts against MaxJobCount.
 */
export const parseSlurmLimits = (stdout: string, _stderr: string, exitCode: number): SiteLimits => {
  if (exitCode !== 0) return {};
  const arraySize = positive(configValue(stdout, 'MaxArraySize', /\s*=\s*/));
  return limits(arraySize === undefined || arraySize < 2 ? undefined : arraySize - 1, positive(configValue(stdout, 'MaxJobCount', /\s*=\s*/)));
};

/** Grid Engine: max_aj_tasks (0: no limit) bounds the tasks of one array job, numbered from 1. */
export const parseSgeLimits = (stdout: string, _stderr: string, exitCode: number): SiteLimits => {
  if (exitCode !== 0) return {};
  return limits(positive(configValue(stdout, 'max_aj_tasks', /\s+/)), undefined);
};

/** LSF: MAX_JOB_ARRAY_SIZE bounds the indices of an array (1 to the limit). */
export const parseLsfLimits = (stdout: string, _stderr: string, exitCode: number): SiteLimits => {
  if (exitCode !== 0) return {};
  return limits(positive(configValue(stdout, 'MAX_JOB_ARRAY_SIZE', /\s*=\s*/)), undefined);
};

/**
 * Elements per array: the `array_size` setting, lowered to the site's
 * limits; without the setting, the site's limit, else DEFAULT_ARRAY_SIZE.
 * Never more than the site's job limit, so that one array cannot be
 * refused whole for it.
 */
export const elementsPerArray = (setting: number | undefined, site: SiteLimits): number => {
  const wanted = setting ?? site.maxArraySize ?? DEFAULT_ARRAY_SIZE;
  return Math.max(1, Math.min(wanted, site.maxArraySize ?? Infinity, site.maxJobs ?? Infinity));
};
