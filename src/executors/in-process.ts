/**
 * `--test` mode: tasks run one after another inside the runner, printing to
 * the terminal (b2luigi's test mode) — for debugging with a plain debugger.
 */
import { errorMessage } from '../errors.js';
import type { Executor, TaskJob, TaskOutcome } from './executor.js';
import { runTask } from './run-task.js';
import { taskErrorText } from './error-text.js';

export class InProcessExecutor implements Executor {
  readonly name = 'test';
  readonly capacity = 1;
  onOutcome: (outcome: TaskOutcome) => void = () => {};

  start(job: TaskJob): void {
    runTask(job.task).then(
      () => this.onOutcome({ index: job.index, ok: true }),
      (error: unknown) => {
        process.stderr.write(`${taskErrorText(error)}\n`);
        this.onOutcome({ index: job.index, ok: false, message: errorMessage(error) });
      },
    );
  }

  async cancelAll(): Promise<void> {}
  async close(): Promise<void> {}
}
