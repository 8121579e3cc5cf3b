/**
 * Right-sizing: per family, the `memory` and `walltime` to ask for next
 * time, from what its tasks used: the 95th percentile of the succeeded
 * attempts' peak memory and wall time, times a margin, rounded up to units a
 * batch system handles well. Pure.
 */
import type { TaskState } from '../journal/state.js';
import { formatMb, formatSeconds, quantile } from './resources.js';

export const MEMORY_MARGIN = 1.2;
export const WALLTIME_MARGIN = 1.5;
/** Fewer succeeded attempts than this say too little about a family's 95th percentile. */
export const MIN_SAMPLES = 5;

export interface Suggestion {
  readonly family: string;
  /** Succeeded, measured attempts it is based on. */
  readonly samples: number;
  readonly peakMbP95: number;
  readonly wallSecondsP95: number;
  readonly memoryMb: number;
  readonly walltimeSeconds: number;
  /** As the settings take them. */
  readonly memory: string;
  readonly walltime: string;
  /** What its latest attempts asked for, when they did. */
  readonly requested?: { readonly memoryMb?: number; readonly walltimeSeconds?: number };
}

export interface Suggestions {
  readonly margins: { readonly memory: number; readonly walltime: number };
  readonly minSamples: number;
  readonly families: readonly Suggestion[];
  /** Families with too few succeeded attempts, and how many they had. */
  readonly skipped: readonly { readonly family: string; readonly samples: number }[];
}

const roundUp = (value: number, step: number): number => Math.ceil(value / step) * step;

/** Up to 128 MB steps below 2 GB, 512 MB steps above; at least 128 MB. */
export const roundMemoryMb = (mb: number): number => Math.max(128, mb <= 2048 ? roundUp(mb, 128) : roundUp(mb, 512));

/** Whole minutes (the granularity of Slurm and LSF) up to an hour, quarter hours above; at least a minute. */
export const roundWalltimeSeconds = (seconds: number): number => Math.max(60, seconds <= 3600 ? roundUp(seconds, 60) : roundUp(seconds, 900));

export const memorySetting = (mb: number): string => (mb % 1024 === 0 ? `${mb / 1024}GB` : `${mb}MB`);
export const walltimeSetting = (seconds: number): string => (seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds / 60}m`);

export const suggest = (tasks: Iterable<TaskState>): Suggestions => {
  const samples = new Map<string, { peak: number[]; wall: number[]; requested?: Suggestion['requested'] }>();
  for (const task of tasks) {
    const entry = samples.get(task.family) ?? { peak: [], wall: [] };
    samples.set(task.family, entry);
    for (const used of task.resources ?? []) {
      if (used.exitCode !== 0) continue;
      entry.peak.push(used.maxRssMb);
      entry.wall.push(used.wallSeconds);
      const { memoryMb, walltimeSeconds } = used.requested ?? {};
      if (memoryMb !== undefined || walltimeSeconds !== undefined) {
        entry.requested = { ...(memoryMb === undefined ? {} : { memoryMb }), ...(walltimeSeconds === undefined ? {} : { walltimeSeconds }) };
      }
    }
  }
  const families: Suggestion[] = [];
  const skipped: { family: string; samples: number }[] = [];
  for (const [family, { peak, wall, requested }] of [...samples].sort(([a], [b]) => a.localeCompare(b))) {
    if (peak.length < MIN_SAMPLES) {
      skipped.push({ family, samples: peak.length });
      continue;
    }
    const peakMbP95 = quantile(peak, 0.95)!;
    const wallSecondsP95 = quantile(wall, 0.95)!;
    const memoryMb = roundMemoryMb(peakMbP95 * MEMORY_MARGIN);
    const walltimeSeconds = roundWalltimeSeconds(wallSecondsP95 * WALLTIME_MARGIN);
    families.push({
      family,
      samples: peak.length,
      peakMbP95,
      wallSecondsP95,
      memoryMb,
      walltimeSeconds,
      memory: memorySetting(memoryMb),
      walltime: walltimeSetting(walltimeSeconds),
      ...(requested ? { requested } : {}),
    });
  }
  return { margins: { memory: MEMORY_MARGIN, walltime: WALLTIME_MARGIN }, minSamples: MIN_SAMPLES, families, skipped };
};

const asked = (s: Suggestion): string => {
  const parts = [
    ...(s.requested?.memoryMb !== undefined ? [`memory ${memorySetting(s.requested.memoryMb)}`] : []),
    ...(s.requested?.walltimeSeconds !== undefined ? [`walltime ${formatSeconds(s.requested.walltimeSeconds)}`] : []),
  ];
  return parts.length > 0 ? `; asked for ${parts.join(', ')}` : '';
};

/** Settings lines to paste into each task class (or a settings file's entry for it). */
export const formatSuggestions = (s: Suggestions): string => {
  const lines = [
    `// memory: 95th percentile of peak memory × ${s.margins.memory}; walltime: 95th percentile of wall time × ${s.margins.walltime};`,
    `// from succeeded attempts, for task families with at least ${s.minSamples}. Paste each block into its task class.`,
  ];
  for (const f of s.families) {
    lines.push(
      '',
      `// ${f.family}: ${f.samples} attempts, peak memory p95 ${formatMb(f.peakMbP95)}, wall time p95 ${formatSeconds(f.wallSecondsP95)}${asked(f)}`,
      `memory = '${f.memory}';`,
      `walltime = '${f.walltime}';`,
    );
  }
  if (s.families.length === 0) lines.push('', '// no task family has enough succeeded attempts yet');
  if (s.skipped.length > 0) lines.push('', `// too few succeeded attempts: ${s.skipped.map((f) => `${f.family} (${f.samples})`).join(', ')}`);
  return lines.join('\n');
};
