/**
 * Local execution on a pool of long-lived worker processes. Each task runs
 * isolated from the runner (a crash takes down one worker, not the run),
 * without paying a process start and pipeline load per task.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import { ownFile } from '../util/own-root.js';
import { outputsOf } from '../pipeline/task.js';
import type { SettingsSnapshot } from '../settings/index.js';
import { cancelledOutcome, type Executor, type TaskJob, type TaskOutcome, type TaskRequest } from './executor.js';
import type { FromWorker, ToWorker } from './pool-protocol.js';
import type { RequestReply } from '../pipeline/dynamic.js';
import { cannotWrite } from '../util/files.js';
import os from 'node:os';
import { attemptRecord, type AttemptRecord, type WorkerMeasurement } from '../run/resources.js';
import type { FailureReason } from '../run/failure.js';
import { requestedResources } from './requested.js';

const WORKER_SCRIPT = ownFile('dist', 'executors', 'pool-worker.js');
const KILL_GRACE_MS = 2000;

export interface PoolOptions {
  readonly size: number;
  readonly bundle: string;
  readonly file: string;
  readonly settings: SettingsSnapshot;
}

interface Worker {
  readonly child: ChildProcess;
  ready: boolean;
  job?: TaskJob;
  /** When the current task was handed to it. */
  startedAt: number;
  /** Set once we killed it on purpose. */
  stopping: boolean;
  /** The first failed write to the current task's logs here (output of programs the task started). */
  logFailure?: string;
  /** Node said, dying, that the task ran out of heap. */
  outOfMemory?: boolean;
  /** Requests of its task waiting for the runner's answer (Task.require). */
  waits: number;
}

// What V8 prints before it aborts for want of heap ("FATAL ERROR: ... JavaScript heap out of memory").
const HEAP_OUT_OF_MEMORY = /JavaScript heap out of memory/;

const usageOf = (job: TaskJob, usage: WorkerMeasurement, reason: FailureReason): AttemptRecord =>
  attemptRecord(usage, { attempt: job.attempt, requested: requestedResources(job.task), judgedAt: Date.now(), reason });

export class PoolExecutor implements Executor {
  readonly name = 'local';
  readonly capacity: number;
  onOutcome: (outcome: TaskOutcome) => void = () => {};
  onRequest?: (request: TaskRequest) => void;
  private readonly workers = new Set<Worker>();
  private readonly queue: TaskJob[] = [];
  private cancelling = false;

  constructor(private readonly options: PoolOptions) {
    this.capacity = Math.max(1, options.size);
  }

  start(job: TaskJob): void {
    this.queue.push(job);
    this.dispatch();
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (this.queue.length === 0) return;
      if (worker.ready && !worker.job && !worker.stopping) this.assign(worker, this.queue.shift()!);
    }
    // Start workers only as work arrives, up to the pool size. A worker whose task waits for
    // tasks it asked for does not count: the driver lent its slot to them.
    const starting = [...this.workers].filter((w) => !w.ready).length;
    const lent = [...this.workers].filter((w) => w.waits > 0).length;
    let missing = Math.min(this.queue.length - starting, this.capacity + lent - this.workers.size);
    while (missing-- > 0) this.spawn();
  }

  private assign(worker: Worker, job: TaskJob): void {
    worker.job = job;
    worker.startedAt = Date.now();
    worker.logFailure = undefined;
    worker.outOfMemory = false;
    const message: ToWorker = { type: 'run', path: job.path, stdout: job.logs.stdout, stderr: job.logs.stderr };
    worker.child.send(message);
  }

  private spawn(): void {
    const child = fork(WORKER_SCRIPT, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--expose-gc'] });
    const worker: Worker = { child, ready: false, stopping: false, startedAt: 0, waits: 0 };
    this.workers.add(worker);
    // Output of programs the task starts (inherited descriptors) belongs to the current task's logs.
    child.stdout!.on('data', (chunk: Buffer) => this.appendLog(worker, 'stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.appendLog(worker, 'stderr', chunk));
    child.on('message', (message: FromWorker) => this.onMessage(worker, message));
    child.on('exit', (code, signal) => {
      // An abort (V8 out of heap) may leave its last words in the pipe when the exit is seen: read them first.
      if (signal === 'SIGABRT' && !child.stderr!.readableEnded) {
        const settle = (): void => {
          clearTimeout(timer);
          child.stderr!.off('end', settle);
          this.onExit(worker, code, signal);
        };
        const timer = setTimeout(settle, 500);
        child.stderr!.once('end', settle);
      } else {
        this.onExit(worker, code, signal);
      }
    });
    const init: ToWorker = {
      type: 'init',
      bundle: this.options.bundle,
      file: this.options.file,
      settings: this.options.settings,
    };
    child.send(init);
  }

  private appendLog(worker: Worker, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const job = worker.job;
    if (!job) {
      process[stream].write(chunk);
      return;
    }
    if (stream === 'stderr' && HEAP_OUT_OF_MEMORY.test(chunk.toString('latin1'))) worker.outOfMemory = true;
    if (worker.logFailure !== undefined) return;
    const file = stream === 'stdout' ? job.logs.stdout : job.logs.stderr;
    try {
      appendFileSync(file, chunk);
    } catch (error) {
      // A full disk or an unwritable log fails this task, not the run.
      worker.logFailure = cannotWrite('its log file', file, error);
    }
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        this.dispatch();
        return;
      case 'fatal':
        // The pipeline loaded in the runner but not here: fail what is queued rather than spin.
        worker.stopping = true;
        worker.child.kill('SIGKILL');
        for (const job of this.queue.splice(0)) {
          this.onOutcome({ index: job.index, ok: false, reason: 'exit', message: `worker could not load the pipeline: ${message.message}` });
        }
        return;
      case 'require': {
        const job = worker.job;
        if (!job) return;
        worker.waits++;
        const answer = (reply: RequestReply): void => {
          // The task may have ended meanwhile (its worker killed): nobody is left to answer.
          if (worker.job !== job || !worker.child.connected) return;
          worker.waits--;
          worker.child.send({ type: 'required', seq: message.seq, ...reply } satisfies ToWorker);
        };
        if (this.onRequest) this.onRequest({ index: job.index, tasks: message.tasks, answer });
        else answer({ ok: false, message: 'this run cannot make tasks that a task asks for while it runs' });
        return;
      }
      case 'done': {
        const job = worker.job;
        worker.job = undefined;
        worker.waits = 0;
        if (job) {
          const failure = message.ok ? worker.logFailure : message.message;
          // The worker put the outputs in place already: a task that failed must not count as complete.
          if (message.ok && failure !== undefined) for (const target of outputsOf(job.task)) rmSync(target.path, { recursive: true, force: true });
          const resources = usageOf(job, message.usage ?? { startedAt: worker.startedAt, host: os.hostname() }, 'exit');
          this.onOutcome(failure === undefined ? { index: job.index, ok: true, resources } : { index: job.index, ok: false, reason: 'exit', message: failure, resources });
        }
        this.dispatch();
        return;
      }
    }
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker);
    const job = worker.job;
    worker.job = undefined;
    if (job) {
      const how = worker.outOfMemory
        ? `ran out of memory (JavaScript heap out of memory; node's --max-old-space-size sets the heap's limit)`
        : signal
          ? `was killed by ${signal}`
          : `exited with code ${code} (process.exit() in the task?)`;
      const reason: FailureReason = this.cancelling ? 'cancelled' : worker.outOfMemory ? 'memory' : signal ? 'signal' : 'exit';
      // It died with the task: where and since when it ran is all that is known.
      const resources = usageOf(job, { startedAt: worker.startedAt, host: os.hostname() }, reason);
      this.onOutcome(
        this.cancelling
          ? { ...cancelledOutcome(job.index), resources }
          : { index: job.index, ok: false, reason, message: `the task's worker process ${how}`, resources },
      );
    }
    if (!this.cancelling) this.dispatch();
  }

  async cancelAll(): Promise<void> {
    this.cancelling = true;
    for (const job of this.queue.splice(0)) this.onOutcome(cancelledOutcome(job.index));
    await this.stopWorkers('SIGTERM');
  }

  async close(): Promise<void> {
    this.cancelling = true;
    await this.stopWorkers('SIGTERM');
  }

  private async stopWorkers(signal: NodeJS.Signals): Promise<void> {
    const exits = [...this.workers].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.child.exitCode !== null || worker.child.signalCode !== null) return resolve();
          worker.stopping = true;
          const timer = setTimeout(() => worker.child.kill('SIGKILL'), KILL_GRACE_MS);
          worker.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.child.kill(signal);
        }),
    );
    await Promise.all(exits);
  }
}
