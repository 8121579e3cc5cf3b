/**
 * Live progress and the final summary. Never one row per task: with
 * thousands of tasks that is unreadable and slow. In a colour terminal, the
 * run's phases with a bar, elapsed time, ETA and the busiest families' rows
 * (listr-view.ts); in a terminal without colour, one line redrawn in place;
 * elsewhere (CI, log files) a status line every few seconds. Failures are
 * printed as they happen in all three.
 */
import chalk from 'chalk';
import { UserError } from '../errors.js';
import type { TaskGraph } from '../pipeline/graph.js';
import type { Schedule } from '../scheduler/schedule.js';
import type { RunEvent, TaskFailure } from '../scheduler/events.js';
import { noColorWanted } from '../util/color.js';
import { lastLines } from '../util/tail.js';
import { familyTable } from './family-table.js';
import { jobEventText } from './job-events.js';
import { ListrView, type PhaseFacts } from './listr-view.js';
import { RunTally } from './run-tally.js';
import { CompletionRate, familyRowCount, familyRows, familyRowText, formatDuration, progressBar, timeText } from './run-view-model.js';

const TTY_REDRAW_MS = 100;
const RUNNING_NAMES_SHOWN = 3;
const STDERR_LINES_SHOWN = 10;
const DEFAULT_INTERVAL_SECONDS = 10;
// Longer intervals overflow Node's timers, which then fire at once, over and over.
const MAX_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Seconds between status lines outside a terminal: B2_PROGRESS_INTERVAL, else 10. */
export const progressIntervalSeconds = (env: Readonly<Record<string, string | undefined>>): number => {
  const text = env.B2_PROGRESS_INTERVAL;
  if (text === undefined || text.trim() === '') return DEFAULT_INTERVAL_SECONDS;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_INTERVAL_SECONDS) return seconds;
  throw new UserError(
    'bad-environment',
    `Bad value for B2_PROGRESS_INTERVAL (from the environment): ${JSON.stringify(text)} is not a number of seconds > 0 and ≤ ${MAX_INTERVAL_SECONDS}.`,
    { hint: `B2_PROGRESS_INTERVAL: seconds between progress lines when the output is not a terminal (default ${DEFAULT_INTERVAL_SECONDS}). Set it to a number such as 30, or unset it.` },
  );
};

export type ProgressDisplay =
  /** A status line every interval (CI, log files): plain text. */
  | 'lines'
  /** One line redrawn in place (a terminal without colour, or --test): no escape sequence under NO_COLOR. */
  | 'line'
  /** The run's phases and the busiest families' rows, drawn by listr2 (a colour terminal). */
  | 'rows';

export interface ProgressOptions {
  readonly out: NodeJS.WriteStream;
  readonly display: ProgressDisplay;
  /** Seconds between status lines for 'lines'. */
  readonly intervalSeconds: number;
  /** What executes the tasks, for the status line ("local", "slurm", ...). */
  readonly executorName: string;
  /** When b2 started (epoch ms): elapsed time counts from it. */
  readonly startedAt: number;
  /** What the phases before running found (shown by 'rows'). */
  readonly phases: PhaseFacts;
  /** The clock (epoch ms); tests give their own. */
  readonly now?: () => number;
}

const ROWS_REDRAW_MS = 500;
const RUN_BAR_WIDTH = 20;
const FAMILY_BAR_WIDTH = 16;
const FAMILY_NAME_WIDTH = 24;

export class ProgressReporter {
  private readonly tally: RunTally;
  private readonly rate: CompletionRate;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lineShown = false;
  private lastLine = '';
  private readonly view?: ListrView;
  private finishing = false;

  constructor(
    private readonly graph: TaskGraph,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.tally = new RunTally(graph);
    this.rate = new CompletionRate(this.now());
    if (options.display === 'rows') this.view = new ListrView(options.phases, familyRowCount(this.tally.familyCount), options.out);
    const interval = options.display === 'lines' ? options.intervalSeconds * 1000 : options.display === 'line' ? TTY_REDRAW_MS : ROWS_REDRAW_MS;
    this.timer = setInterval(() => this.tick(), interval);
    this.timer.unref();
    if (this.view) this.tick();
  }

  event = (event: RunEvent): void => {
    this.tally.apply(event);
    this.rate.record(this.now(), this.tally.done);
    switch (event.type) {
      case 'task-started':
      case 'task-succeeded':
      case 'task-cancelled':
      case 'tasks-not-run':
      case 'task-measured':
      case 'task-waiting':
      case 'task-resumed':
        break;
      case 'task-failed':
        if (event.willRetry) {
          this.print(chalk.yellow(`retrying ${this.describe(event.failure.index)} (attempt ${event.failure.attempts} failed: ${event.failure.message})`));
        } else {
          this.print(chalk.red(`failed: ${this.describe(event.failure.index)}: ${event.failure.message}`) + chalk.dim(`\n  logs: ${event.failure.logs.dir}`));
        }
        break;
      case 'cancelling':
        this.finish(`Finishing: cancelling ${event.inFlight} task(s) in flight`);
        this.print(chalk.yellow(`stopping: cancelling ${event.inFlight} task(s) in flight (press Ctrl-C again to exit at once)`));
        break;
      default: {
        const text = jobEventText(event, (index) => this.describe(index));
        if (text !== undefined) this.print(text);
      }
    }
    if (this.tally.done === this.tally.toRun) this.finish('Finishing');
  };

  private describe(index: number): string {
    return this.graph.nodes[index]!.task.toString();
  }

  private finish(title: string): void {
    if (this.finishing) return;
    this.finishing = true;
    this.tick();
    this.view?.finish(title);
  }

  private counts(withComplete = true): string[] {
    const { tally } = this;
    const parts = [`${tally.done}/${tally.toRun} done`, `${tally.running.size} running`, tally.failed ? chalk.red(`${tally.failed} failed`) : `${tally.failed} failed`];
    if (tally.notRun) parts.push(`${tally.notRun} not run`);
    if (tally.complete && withComplete) parts.push(`${tally.complete} complete before`);
    return parts;
  }

  private timeText(): string {
    const now = this.now();
    return timeText(now - this.options.startedAt, this.rate.etaMs(now, this.tally.done, this.tally.toRun));
  }

  /** One status line: counts, elapsed time and ETA, then a few running task names. */
  statusLine(): string {
    const { running } = this.tally;
    // The first few only: thousands may be running, and this is drawn ten times a second.
    const names: string[] = [];
    for (const index of running) {
      if (names.length === RUNNING_NAMES_SHOWN) break;
      names.push(this.describe(index));
    }
    const more = running.size - names.length;
    const runningText = names.length ? ` | ${names.join(', ')}${more > 0 ? ` +${more}` : ''}` : '';
    const bar = this.options.display === 'lines' ? '' : `${progressBar(this.tally.done, this.tally.toRun, RUN_BAR_WIDTH)} `;
    return `[${this.options.executorName}] ${bar}${[...this.counts(), this.timeText()].join(' · ')}${runningText}`;
  }

  /** The rows view: the running row's title and one line per family row. */
  private rows(): { title: string; rows: string[] } {
    const { rows, more } = familyRows(this.tally.familyCounts());
    const nameWidth = Math.min(FAMILY_NAME_WIDTH, Math.max(0, ...[...rows, ...(more ? [more] : [])].map((row) => row.family.length)));
    const lines = rows.map((row) => familyRowText({ ...row, family: truncate(row.family, nameWidth) }, nameWidth, FAMILY_BAR_WIDTH));
    if (more) lines.push(familyRowText(more, nameWidth, FAMILY_BAR_WIDTH));
    // Complete before: said on the completeness row.
    const title = `Running ${progressBar(this.tally.done, this.tally.toRun, RUN_BAR_WIDTH)} ${[...this.counts(false), this.timeText()].join(' · ')}`;
    return { title, rows: lines };
  }

  private tick(): void {
    switch (this.options.display) {
      case 'lines':
        this.options.out.write(`${new Date(this.now()).toISOString().slice(11, 19)} ${this.statusLine()}\n`);
        return;
      case 'line': {
        const line = this.statusLine();
        if (line !== this.lastLine || !this.lineShown) this.drawLine(line);
        return;
      }
      case 'rows': {
        const { title, rows } = this.rows();
        this.view?.update(title, rows);
        return;
      }
    }
  }

  private drawLine(line = this.statusLine()): void {
    this.lastLine = line;
    this.options.out.write(`${this.clearLine()}${truncate(line, this.width() - 1)}`);
    this.lineShown = true;
  }

  private width(): number {
    return this.options.out.columns || 120;
  }

  // Under NO_COLOR no escape sequence at all: blank the line with spaces instead.
  private clearLine(): string {
    return noColorWanted() ? `\r${' '.repeat(this.width() - 1)}\r` : '\r\x1b[2K';
  }

  private print(text: string): void {
    if (this.view) {
      this.view.print(text);
      return;
    }
    const live = this.options.display === 'line';
    if (live && this.lineShown) this.options.out.write(this.clearLine());
    this.options.out.write(`${text}\n`);
    if (live) this.drawLine();
  }

  /** The last state drawn, the terminal given back. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.view) {
      this.tick();
      await this.view.stop();
    }
    if (this.options.display === 'line' && this.lineShown) this.options.out.write(this.clearLine());
  }

  /** The process leaves at once (a second Ctrl-C): the terminal given back now, with what the view held. */
  abandon(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.view?.abandon();
    if (this.options.display === 'line' && this.lineShown) this.options.out.write(this.clearLine());
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const truncate = (text: string, width: number): string => {
  const plain = text.replace(ANSI, '');
  return plain.length <= width ? text : `${plain.slice(0, Math.max(0, width - 1))}…`;
};

/** Per-family counts and failure details, printed when a run ends. */
export const formatSummary = (graph: TaskGraph, schedule: Schedule, failures: readonly TaskFailure[], wallMs: number): string => {
  const families = new Map<string, Record<string, number>>();
  for (const node of graph.nodes) {
    const row = families.get(node.family) ?? { complete: 0, ran: 0, failed: 0, notRun: 0, cancelled: 0 };
    families.set(node.family, row);
    const status = schedule.status[node.index];
    if (status === 'complete') row.complete!++;
    else if (status === 'succeeded') row.ran!++;
    else if (status === 'failed' || status === 'missing-external') row.failed!++;
    else if (status === 'cancelled') row.cancelled!++;
    else row.notRun!++;
  }
  const header = ['task', 'complete before', 'ran', 'failed', 'not run', 'cancelled'];
  const rows = [...families.entries()].map(([family, c]) => [family, String(c.complete), String(c.ran), String(c.failed), String(c.notRun), String(c.cancelled)]);
  const lines = ['', ...familyTable(header, rows)];

  const missing = graph.nodes.filter((node) => schedule.status[node.index] === 'missing-external');
  for (const node of missing) {
    lines.push('', chalk.red(`missing input: ${node.task.toString()}`), `  outputs not found: ${node.task.getAllOutputFileNames().join(', ') || '(none declared)'}`);
  }
  for (const failure of failures) {
    const node = graph.nodes[failure.index]!;
    const attempts = failure.attempts > 1 ? ` after ${failure.attempts} attempts` : '';
    lines.push('', chalk.red(`failed${attempts}: ${node.task.toString()}`));
    lines.push(`  task id: ${node.id}`);
    if (failure.jobId) lines.push(`  job id:  ${failure.jobId}`);
    lines.push(`  error:   ${failure.message}`);
    if (failure.ownError?.hint) lines.push(`  hint:    ${failure.ownError.hint}`);
    if (failure.detail) lines.push(...failure.detail.split('\n').map((l) => `  ${l}`));
    lines.push(`  stdout:  ${failure.logs.stdout}`, `  stderr:  ${failure.logs.stderr}`);
    // b2's own error is said above; the task's stderr would only repeat it.
    const tail = failure.ownError ? [] : lastLines(failure.logs.stderr, STDERR_LINES_SHOWN);
    if (tail.length > 0) {
      lines.push(chalk.dim(`  last ${tail.length} line(s) of stderr:`));
      for (const line of tail) lines.push(chalk.dim(`    | ${line}`));
    }
  }
  const failedCount = schedule.count('failed') + schedule.count('missing-external');
  // Counted as `b2 status` counts them: cancelled (stopped in flight) apart from never started.
  const cancelled = schedule.count('cancelled');
  const notRun = schedule.count('not-run') + schedule.count('waiting') + schedule.count('ready');
  lines.push('');
  if (failedCount === 0 && notRun === 0 && cancelled === 0) {
    lines.push(chalk.green(`✓ ${schedule.count('succeeded')} task(s) ran, ${schedule.count('complete')} were complete already.`));
  } else {
    lines.push(chalk.red(`✗ ${failedCount} failed, ${cancelled} cancelled, ${notRun} not run, ${schedule.count('succeeded')} ran, ${schedule.count('complete')} complete before.`));
  }
  lines.push(`wall time: ${formatDuration(wallMs)}`);
  return lines.join('\n');
};

/**
 * What a run with nothing to do says, counting every task of the graph
 * (built with `pruneComplete: false`), not only the complete roots.
 */
export const nothingToDoMessage = (graph: TaskGraph): string => {
  const total = graph.nodes.length;
  const complete = graph.nodes.filter((node) => node.initial === 'complete').length;
  if (complete === total) return chalk.green(`All ${total} task(s) are complete; nothing to do.`);
  return chalk.green(
    `Nothing to do: ${complete} of ${total} task(s) are complete, and the ${total - complete} others are not needed: ` +
      'only complete tasks need them (--dry-run lists them).',
  );
};
