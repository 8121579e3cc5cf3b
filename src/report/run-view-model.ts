/**
 * What the terminal shows of a run, computed without a clock: durations,
 * the estimate of the time left from the completion rate, a bar, and the
 * few per-family rows (the busiest ones, never one row per task).
 */

/** 950 ms, 12 s, 4m05s, 2h03m, 3d04h: short enough for a status line. */
export const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (ms < 1000) return ms <= 0 ? '0 s' : `${Math.round(ms)} ms`;
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
};

const pad = (n: number): string => String(n).padStart(2, '0');

// The rate over the last few minutes follows a farm that speeds up or slows down.
const RATE_WINDOW_MS = 5 * 60_000;

/**
 * The completion rate of a run, from (time, tasks settled) samples given to
 * it: over the last few minutes when tasks settled in them, else since the
 * start (long jobs may settle less often than that).
 */
export class CompletionRate {
  /** When the number settled changed, and to what; oldest first. */
  private readonly samples: { t: number; done: number }[] = [];

  constructor(
    private readonly startedAt: number,
    private readonly windowMs = RATE_WINDOW_MS,
  ) {
    this.samples.push({ t: startedAt, done: 0 });
  }

  record(now: number, done: number): void {
    const last = this.samples[this.samples.length - 1]!;
    if (done === last.done) return;
    // At most a sample a second: a packed run settles thousands of tasks a second, and
    // a sample per task made the window a hundred thousand long.
    if (this.samples.length > 1 && now - last.t < 1000) {
      last.done = done;
      return;
    }
    this.samples.push({ t: now, done });
    // Keep one sample at or before the window's start: the count the window is measured from.
    while (this.samples.length > 2 && this.samples[1]!.t <= now - this.windowMs) this.samples.shift();
  }

  /** Samples kept: at most one a second over the window, however many tasks settle. */
  get size(): number {
    return this.samples.length;
  }

  /** Milliseconds until `total` tasks are settled; undefined while none has. */
  etaMs(now: number, done: number, total: number): number | undefined {
    if (done >= total) return 0;
    if (done === 0) return undefined;
    const elapsed = now - this.startedAt;
    const windowStart = now - this.windowMs;
    let doneAtWindowStart = 0;
    for (const sample of this.samples) if (sample.t <= windowStart) doneAtWindowStart = sample.done;
    const recent = done - doneAtWindowStart;
    const rate = elapsed > this.windowMs && recent > 0 ? recent / this.windowMs : done / Math.max(1, elapsed);
    return (total - done) / rate;
  }
}

/** `[█████░░░░░]`: `width` cells, the settled share filled. */
export const progressBar = (done: number, total: number, width: number): string => {
  const filled = total <= 0 ? width : Math.min(width, Math.floor((done / total) * width));
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
};

/** One family's tasks of this run (those to run, not those complete before). */
export interface FamilyCounts {
  readonly family: string;
  readonly total: number;
  readonly done: number;
  readonly running: number;
  readonly failed: number;
}

export const MAX_FAMILY_ROWS = 8;

/**
 * The families to show, busiest first (most running, then most left to
 * do), at most `max`; the others summed into one "more families" row.
 */
export const familyRows = (families: readonly FamilyCounts[], max = MAX_FAMILY_ROWS): { rows: FamilyCounts[]; more?: FamilyCounts & { readonly count: number } } => {
  // The top few by one pass: this runs several times a second, over thousands of families maybe.
  const rows: FamilyCounts[] = [];
  for (const family of families) {
    if (rows.length === max && !busier(family, rows[max - 1]!)) continue;
    let at = rows.length;
    while (at > 0 && busier(family, rows[at - 1]!)) at--;
    rows.splice(at, 0, family);
    if (rows.length > max) rows.pop();
  }
  if (families.length <= max) return { rows };
  const shown = new Set(rows);
  const more = { family: `${families.length - max} more families`, count: families.length - max, total: 0, done: 0, running: 0, failed: 0 };
  for (const family of families) {
    if (shown.has(family)) continue;
    more.total += family.total;
    more.done += family.done;
    more.running += family.running;
    more.failed += family.failed;
  }
  return { rows, more };
};

/** Most running first, then most left to do, then by name. */
const busier = (a: FamilyCounts, b: FamilyCounts): boolean =>
  a.running !== b.running ? a.running > b.running : a.total - a.done !== b.total - b.done ? a.total - a.done > b.total - b.done : a.family < b.family;

/** Rows shown: the families, plus one for the others when there are more than `max`. */
export const familyRowCount = (families: number, max = MAX_FAMILY_ROWS): number => (families > max ? max + 1 : families);

/** `Piece   ████░░░░  40/100 · 12 running · 1 failed`, the name padded to `nameWidth`. */
export const familyRowText = (row: FamilyCounts, nameWidth: number, barWidth: number): string => {
  const parts = [`${row.done}/${row.total}`];
  if (row.running > 0) parts.push(`${row.running} running`);
  if (row.failed > 0) parts.push(`${row.failed} failed`);
  return `${row.family.padEnd(nameWidth)} ${progressBar(row.done, row.total, barWidth)} ${parts.join(' · ')}`;
};

/** `elapsed 4m05s · ETA 2m10s`; the ETA unknown (`ETA –`) until a task has settled. */
export const timeText = (elapsedMs: number, etaMs: number | undefined): string =>
  `elapsed ${formatDuration(elapsedMs)} · ETA ${etaMs === undefined ? '–' : formatDuration(etaMs)}`;
