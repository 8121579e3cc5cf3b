/**
 * `--test` mode: tasks run one after another inside the runner, printing to
 * the terminal (b2luigi's test mode) — for debugging with a plain debugger.
 *
 * A task that calls process.exit would end the runner with it, its journal
 * showing the task in flight forever: while a task runs, process.exit throws
 * instead, and the task fails alone, as it would in a worker process.
 */
import { errorMessage } from '../errors.js';
import type { Executor, TaskJob, TaskOutcome, TaskRequest } from './executor.js';
import { taskRef } from '../pipeline/reconstruct.js';
import { replyError } from '../pipeline/dynamic.js';
import { runTask } from './run-task.js';
import type { Task } from '../pipeline/task.js';
import { taskErrorText } from './error-text.js';

/** What a task's call to process.exit becomes. */
class TaskCalledExit extends Error {
  constructor(code: string | number | null | undefined) {
    super(`the task called process.exit(${code ?? ''})`);
    this.name = 'TaskCalledExit';
  }
}

export class InProcessExecutor implements Executor {
  readonly name = 'test';
  readonly capacity = 1;
  onOutcome: (outcome: TaskOutcome) => void = () => {};
  onRequest?: (request: TaskRequest) => void;
  private readonly exit = process.exit;
  /** Tasks under way: one runs, the others wait in require() for tasks they asked for. */
  private active = 0;

  start(job: TaskJob): void {
    this.active++;
    process.exit = ((code?: string | number | null) => {
      throw new TaskCalledExit(code);
    }) as typeof process.exit;
    const requireTasks = (tasks: readonly Task[]): Promise<void> =>
      new Promise((resolve, reject) => {
        if (!this.onRequest) return reject(replyError({ ok: false, message: 'this run cannot make tasks that a task asks for while it runs' }));
        this.onRequest({ index: job.index, tasks: tasks.map(taskRef), answer: (reply) => (reply.ok ? resolve() : reject(replyError(reply))) });
      });
    runTask(job.task, { requireTasks })
      .finally(() => {
        if (--this.active === 0) this.restoreExit();
      })
      .then(
        () => this.onOutcome({ index: job.index, ok: true }),
        (error: unknown) => {
          process.stderr.write(`${taskErrorText(error)}\n`);
          this.onOutcome({ index: job.index, ok: false, reason: 'exit', message: errorMessage(error) });
        },
      );
  }

  private restoreExit(): void {
    process.exit = this.exit;
  }

  // The runner may have to exit at once (a second Ctrl-C) while a task still runs.
  async cancelAll(): Promise<void> {
    this.restoreExit();
  }

  async close(): Promise<void> {
    this.restoreExit();
  }
}
