/**
 * The run in a colour terminal, drawn by listr2: one row per phase of the
 * run (loading the pipeline, building the graph, checking completeness,
 * running, finishing) and, under "running", a fixed number of family rows
 * whose titles change (listr2 slows down badly with many rows: never one
 * row per task). Messages (failures, retries, the batch system's troubles)
 * show in the bar under the rows while it draws, and in full once it ends.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';

/** What the first phases found, measured before the view starts. */
export interface PhaseFacts {
  readonly pipelineMs: number;
  readonly graphMs: number;
  readonly tasks: number;
  readonly families: number;
  readonly complete: number;
  readonly toRun: number;
}

/** The writable part of a listr2 task, all the view changes. */
interface Row {
  title: string;
  output: string;
  /** The task itself: a title set here is drawn at the next refresh, without one of its own. */
  readonly task: { title?: string };
}

// Recent messages kept in view under the rows.
const MESSAGE_LINES = 4;

/** Terminal output that listr2 holds back while it draws; released at once when the process must leave. */
class HeldOutput extends ProcessOutput {
  releaseNow(): void {
    if (this.active) this.release();
  }
}

const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

export class ListrView {
  private readonly output: HeldOutput;
  private readonly run: Promise<void>;
  private readonly running = deferred();
  private readonly finishing = deferred();
  private runningRow?: Row;
  private finishingRow?: Row;
  private readonly slots: Row[] = [];
  private readonly titles = new Map<Row, string>();
  private finishingTitle = 'Finishing';
  /** The latest message not yet shown under the rows, and how many came since the last update. */
  private latestMessage?: string;
  private messagesSinceUpdate = 0;

  constructor(
    facts: PhaseFacts,
    familyRows: number,
    private readonly out: NodeJS.WriteStream,
  ) {
    this.output = new HeldOutput(out, out);
    const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    const listr = new Listr(
      [
        { title: `Loading pipeline (${seconds(facts.pipelineMs)})`, task: () => {} },
        { title: `Building graph: ${facts.tasks} task(s) in ${facts.families} famil${facts.families === 1 ? 'y' : 'ies'}`, task: () => {} },
        { title: `Checking completeness: ${facts.complete} complete, ${facts.toRun} to run (${seconds(facts.graphMs)})`, task: () => {} },
        {
          title: 'Running',
          task: (_ctx, task) => {
            this.runningRow = task;
            return task.newListr(
              Array.from({ length: familyRows }, () => ({
                title: '',
                task: (_c: unknown, slot: Row) => {
                  this.slots.push(slot);
                  return this.running.promise;
                },
              })),
              { concurrent: true, exitOnError: false },
            );
          },
          rendererOptions: { bottomBar: MESSAGE_LINES },
        },
        {
          title: 'Finishing',
          task: (_ctx, task) => {
            this.finishingRow = task;
            task.title = this.finishingTitle;
            return this.finishing.promise;
          },
          rendererOptions: { bottomBar: MESSAGE_LINES },
        },
      ],
      {
        concurrent: false,
        exitOnError: false,
        // Ctrl-C is the runner's: it cancels the jobs first.
        registerSignalListeners: false,
        // Lazy: drawn when the view changes (update sets titles at most a few times a second), not by a spinner's timer.
        rendererOptions: { lazy: true, collapseSubtasks: false, formatOutput: 'truncate', logger: new ListrLogger({ processOutput: this.output }) },
      },
    );
    this.run = listr.run().then(() => undefined);
  }

  /**
   * The running row's title and the family rows, as many as there are
   * slots, and the latest message: drawn once or twice, not once per row
   * (each draw of listr2 costs a few milliseconds).
   */
  update(runningTitle: string, rows: readonly string[]): void {
    this.slots.forEach((slot, index) => (slot.task.title = rows[index] ?? ''));
    const row = this.finishingRow ?? this.runningRow;
    if (row && this.latestMessage !== undefined) {
      row.output = this.messagesSinceUpdate > 1 ? `${this.latestMessage} (and ${this.messagesSinceUpdate - 1} more)` : this.latestMessage;
      this.latestMessage = undefined;
      this.messagesSinceUpdate = 0;
    }
    if (this.runningRow) this.setTitle(this.runningRow, runningTitle);
  }

  /** The run is closing (all tasks settled, or cancelled): the running rows stop. */
  finish(title: string): void {
    this.finishingTitle = title;
    if (this.finishingRow) this.setTitle(this.finishingRow, title);
    this.running.resolve();
  }

  /** Shown under the rows at the next update; written in full (held back by listr2 until the view ends). */
  print(text: string): void {
    this.latestMessage = text.split('\n')[0]!;
    this.messagesSinceUpdate++;
    this.out.write(`${text}\n`);
  }

  async stop(): Promise<void> {
    this.running.resolve();
    this.finishing.resolve();
    await this.run;
  }

  /** The process is leaving now: give the terminal back, with what was held. */
  abandon(): void {
    this.output.releaseNow();
  }

  private setTitle(row: Row, title: string): void {
    if (this.titles.get(row) === title) return;
    this.titles.set(row, title);
    row.title = title;
  }
}
