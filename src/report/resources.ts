/**
 * Per-family resource use from a run's state: how long tasks waited and ran,
 * and how much of what they asked for they used. Pure: the same state gives
 * the same numbers.
 */
import type { TaskState } from '../journal/state.js';
import { queueWaitSeconds, type AttemptResources } from '../run/resources.js';

/** Below this share of what was asked for (CPU or memory), a task or family is flagged. */
export const LOW_USE = 0.2;

/** The value at quantile q (0..1) of `values`, by nearest rank; undefined for none. */
export const quantile = (values: readonly number[], q: number): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

export interface Spread {
  readonly median: number;
  readonly p95: number;
}

const spread = (values: readonly number[]): Spread | undefined =>
  values.length === 0 ? undefined : { median: quantile(values, 0.5)!, p95: quantile(values, 0.95)! };

/** CPU time over the CPU time it had: wall × CPUs asked for (one when none were). */
export const cpuEfficiency = (a: AttemptResources): number | undefined => {
  const available = a.wallSeconds * (a.requested?.cpus ?? 1);
  return available > 0 ? a.cpuSeconds / available : undefined;
};

/** Peak memory over the memory asked for; undefined when none was. */
export const memoryEfficiency = (a: AttemptResources): number | undefined =>
  a.requested?.memoryMb ? a.maxRssMb / a.requested.memoryMb : undefined;

export interface FamilyUsage {
  readonly family: string;
  /** Tasks with at least one measured attempt. */
  readonly tasks: number;
  /** Measured attempts. */
  readonly attempts: number;
  readonly wallSeconds?: Spread;
  readonly queueWaitSeconds?: Spread;
  readonly maxRssMb?: Spread;
  /** Medians over the attempts (see cpuEfficiency, memoryEfficiency). */
  readonly cpuEfficiency?: number;
  readonly memoryEfficiency?: number;
  /** Tasks whose latest measured attempt used less than LOW_USE of its CPUs, or of its memory. */
  readonly lowCpu: readonly string[];
  readonly lowMemory: readonly string[];
  /** Attempts that ended for want of memory, or of walltime. */
  readonly outOfMemory: number;
  readonly timedOut: number;
}

const defined = (values: readonly (number | undefined)[]): number[] => values.filter((v): v is number => v !== undefined);

export const familyUsage = (tasks: Iterable<TaskState>): FamilyUsage[] => {
  const byFamily = new Map<string, TaskState[]>();
  for (const task of tasks) {
    if (!task.resources && !task.unmeasured) continue;
    const members = byFamily.get(task.family);
    if (members) members.push(task);
    else byFamily.set(task.family, [task]);
  }
  return [...byFamily].map(([family, members]) => {
    const attempts = members.flatMap((task) => task.resources ?? []);
    const latest = members.flatMap((task) => (task.resources?.length ? [{ task, used: task.resources.at(-1)! }] : []));
    const below = (ratio: (a: AttemptResources) => number | undefined): string[] =>
      latest.filter(({ used }) => (ratio(used) ?? 1) < LOW_USE).map(({ task }) => task.id);
    const unmeasured = members.flatMap((task) => task.unmeasured ?? []);
    const cpu = quantile(defined(attempts.map(cpuEfficiency)), 0.5);
    const memory = quantile(defined(attempts.map(memoryEfficiency)), 0.5);
    const wall = spread(attempts.map((a) => a.wallSeconds));
    const wait = spread(defined(attempts.map(queueWaitSeconds)));
    const rss = spread(attempts.map((a) => a.maxRssMb));
    return {
      family,
      tasks: latest.length,
      attempts: attempts.length,
      ...(wall ? { wallSeconds: wall } : {}),
      ...(wait ? { queueWaitSeconds: wait } : {}),
      ...(rss ? { maxRssMb: rss } : {}),
      ...(cpu === undefined ? {} : { cpuEfficiency: cpu }),
      ...(memory === undefined ? {} : { memoryEfficiency: memory }),
      lowCpu: below(cpuEfficiency),
      lowMemory: below(memoryEfficiency),
      outOfMemory: unmeasured.filter((u) => u.reason === 'memory').length,
      timedOut: unmeasured.filter((u) => u.reason === 'timeout').length,
    };
  });
};

/** 0.4 s, 12 s, 3m 05s, 2h 10m: short and exact enough to compare. */
export const formatSeconds = (seconds: number): string => {
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
};

export const formatMb = (mb: number): string => (mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`);

const percent = (ratio: number | undefined): string => (ratio === undefined ? '-' : `${Math.round(ratio * 100)}%`);

/** The per-family rows of `b2 status`, and a line for each family with tasks below LOW_USE. */
export const usageTable = (usage: readonly FamilyUsage[]): { header: string[]; rows: string[][]; flags: string[] } => {
  const header = ['task', 'measured', 'wall median', 'wall p95', 'queue wait median', 'peak mem p95', 'cpu use', 'mem use'];
  const rows = usage.map((u) => [
    u.family,
    String(u.attempts),
    u.wallSeconds ? formatSeconds(u.wallSeconds.median) : '-',
    u.wallSeconds ? formatSeconds(u.wallSeconds.p95) : '-',
    u.queueWaitSeconds ? formatSeconds(u.queueWaitSeconds.median) : '-',
    u.maxRssMb ? formatMb(u.maxRssMb.p95) : '-',
    percent(u.cpuEfficiency),
    percent(u.memoryEfficiency),
  ]);
  const flags: string[] = [];
  const threshold = `${Math.round(LOW_USE * 100)}%`;
  for (const u of usage) {
    if (u.lowMemory.length > 0) flags.push(`${u.family}: ${u.lowMemory.length} of ${u.tasks} task(s) used less than ${threshold} of the memory they asked for (e.g. ${u.lowMemory[0]})`);
    if (u.lowCpu.length > 0) flags.push(`${u.family}: ${u.lowCpu.length} of ${u.tasks} task(s) used less than ${threshold} of the CPU time they had, wall time × cpus (e.g. ${u.lowCpu[0]})`);
    if (u.outOfMemory > 0) flags.push(`${u.family}: ${u.outOfMemory} attempt(s) ran out of memory`);
    if (u.timedOut > 0) flags.push(`${u.family}: ${u.timedOut} attempt(s) ran out of walltime`);
  }
  return { header, rows, flags };
};
