/**
 * Live progress and the final summary. Never one row per task: with
 * thousands of tasks that is unreadable and slow. In a terminal, one line
 * redrawn at most ten times a second; elsewhere (CI, log files) a status line
 * every few seconds; failures are printed as they happen in both.
 */
import chalk from 'chalk';
import { UserError } from '../errors.js';
import type { TaskGraph } from '../pipeline/graph.js';
import type { Schedule } from '../scheduler/schedule.js';
import type { RunEvent, TaskFailure } from '../scheduler/events.js';
import { noColorWanted } from '../util/color.js';
import { lastLines } from './tail.js';
import { familyTable } from './family-table.js';
import { jobEventText } from './job-events.js';

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

export interface ProgressOptions {
  readonly out: NodeJS.WriteStream;
  /** Redraw one line in place (a terminal) rather than printing status lines. */
  readonly live: boolean;
  /** Seconds between status lines when not live. */
  readonly intervalSeconds: number;
  /** What executes the tasks, for the status line ("local", "slurm", ...). */
  readonly executorName: string;
}

export class ProgressReporter {
  private readonly running = new Set<number>();
  private succeeded = 0;
  private failed = 0;
  private notRun = 0;
  private retrying = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private lineShown = false;
  private readonly toRun: number;
  private readonly complete: number;

  constructor(
    private readonly graph: TaskGraph,
    private readonly options: ProgressOptions,
  ) {
    this.complete = graph.nodes.filter((node) => node.initial === 'complete').length;
    this.toRun = graph.nodes.length - this.complete;
    const interval = options.live ? TTY_REDRAW_MS : options.intervalSeconds * 1000;
    this.timer = setInterval(() => this.tick(), interval);
    this.timer.unref();
  }

  event = (event: RunEvent): void => {
    switch (event.type) {
      case 'task-started':
        this.running.add(event.index);
        break;
      case 'task-succeeded':
        this.running.delete(event.index);
        this.succeeded++;
        break;
      case 'task-failed':
        this.running.delete(event.failure.index);
        if (event.willRetry) {
          this.retrying++;
          this.print(chalk.yellow(`retrying ${this.describe(event.failure.index)} (attempt ${event.failure.attempts} failed: ${event.failure.message})`));
        } else {
          this.failed++;
          this.print(chalk.red(`failed: ${this.describe(event.failure.index)}: ${event.failure.message}`) + chalk.dim(`\n  logs: ${event.failure.logs.dir}`));
        }
        break;
      case 'task-cancelled':
        this.running.delete(event.index);
        break;
      case 'tasks-not-run':
        this.notRun += event.indices.length;
        break;
      case 'task-measured':
        break;
      case 'cancelling':
        this.print(chalk.yellow(`stopping: cancelling ${event.inFlight} task(s) in flight (press Ctrl-C again to exit at once)`));
        break;
      default: {
        const text = jobEventText(event, (index) => this.describe(index));
        if (text !== undefined) this.print(text);
      }
    }
    this.dirty = true;
  };

  private describe(index: number): string {
    return this.graph.nodes[index]!.task.toString();
  }

  /** One status line: counts, then a few running task names. */
  statusLine(): string {
    const done = this.succeeded + this.failed + this.notRun;
    const parts = [
      `${done}/${this.toRun} done`,
      `${this.running.size} running`,
      this.failed ? chalk.red(`${this.failed} failed`) : `${this.failed} failed`,
    ];
    if (this.notRun) parts.push(`${this.notRun} not run`);
    if (this.complete) parts.push(`${this.complete} complete before`);
    const names = [...this.running].slice(0, RUNNING_NAMES_SHOWN).map((index) => this.describe(index));
    const more = this.running.size - names.length;
    const runningText = names.length ? ` | ${names.join(', ')}${more > 0 ? ` +${more}` : ''}` : '';
    return `[${this.options.executorName}] ${parts.join(' · ')}${runningText}`;
  }

  private tick(): void {
    if (!this.dirty && this.options.live) return;
    this.dirty = false;
    if (this.options.live) this.drawLive();
    else this.options.out.write(`${new Date().toISOString().slice(11, 19)} ${this.statusLine()}\n`);
  }

  private drawLive(): void {
    const line = this.statusLine();
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
    if (this.options.live && this.lineShown) this.options.out.write(this.clearLine());
    this.options.out.write(`${text}\n`);
    if (this.options.live) this.drawLive();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.options.live && this.lineShown) this.options.out.write(this.clearLine());
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const truncate = (text: string, width: number): string => {
  const plain = text.replace(ANSI, '');
  return plain.length <= width ? text : `${plain.slice(0, Math.max(0, width - 1))}…`;
};

/** Per-family counts and failure details, printed when a run ends. */
export const formatSummary = (graph: TaskGraph, schedule: Schedule, failures: readonly TaskFailure[]): string => {
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
