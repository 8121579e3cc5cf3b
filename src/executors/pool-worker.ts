/**
 * A long-lived pool worker: loads the pipeline once, then runs one task at a
 * time on request. Each task's console output goes to its own log files.
 * If a task kills this process (process.exit, a crash, SIGKILL) the runner
 * fails that task alone and starts a fresh worker.
 */
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, isUserError, UserError } from '../errors.js';
import { importBundle } from '../pipeline/load.js';
import { TaskResolver, taskRef } from '../pipeline/reconstruct.js';
import { replyError, type RequestReply } from '../pipeline/dynamic.js';
import type { Task } from '../pipeline/task.js';
import { initSettingsFromSnapshot } from '../settings/index.js';
import type { FromWorker, ToWorker } from './pool-protocol.js';
import { runTask } from './run-task.js';
import { taskErrorText } from './error-text.js';
import { cannotWrite, makeFolders, writeFully } from '../util/files.js';
import { clearOwnError, writeOwnError } from './own-error.js';
import { startMeasuring } from './measure.js';

let resolver: TaskResolver | undefined;
/** The current task's log files, and the first write to them that failed. */
const logs = { out: -1, err: -1, outFile: '', errFile: '', failure: undefined as string | undefined };

const send = (message: FromWorker): void => {
  process.send!(message);
};

// A full disk or a lost mount must not crash the worker: the task fails with the cause.
const writeLog = (which: 'out' | 'err', chunk: string | Uint8Array): void => {
  if (logs.failure !== undefined) return;
  try {
    writeFully(logs[which], typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  } catch (error) {
    logs.failure = cannotWrite('its log file', which === 'out' ? logs.outFile : logs.errFile, error);
  }
};

// console.log and friends end up in these writes; send them to the task's files.
const redirect = (stream: NodeJS.WriteStream, which: 'out' | 'err'): void => {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    if (logs[which] === -1) return original(chunk as string, encoding as BufferEncoding, callback as () => void);
    writeLog(which, chunk);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof stream.write;
};
redirect(process.stdout, 'out');
redirect(process.stderr, 'err');

/** Open the task's log files; the failure, when they cannot be. */
const openLogs = (message: Extract<ToWorker, { type: 'run' }>): string | undefined => {
  logs.outFile = message.stdout;
  logs.errFile = message.stderr;
  logs.failure = undefined;
  let file = path.dirname(message.stdout);
  try {
    makeFolders(file);
    file = message.stdout;
    logs.out = openSync(file, 'w');
    file = message.stderr;
    logs.err = openSync(file, 'w');
    return undefined;
  } catch (error) {
    closeLogs();
    return cannotWrite(file === message.stdout || file === message.stderr ? 'its log file' : 'its log folder', file, error);
  }
};

const closeLogs = (): void => {
  for (const which of ['out', 'err'] as const) {
    if (logs[which] === -1) continue;
    try {
      closeSync(logs[which]);
    } catch {
      // Nothing more can go wrong with a file we stop writing to.
    }
    logs[which] = -1;
  }
};

// Outputs are committed only with the whole log written: a failed log write fails the task.
const checkLogs = (): void => {
  if (logs.failure !== undefined) throw new UserError('log-write-failed', logs.failure);
};

/** Requests of the current task waiting for the runner's answer, by seq. */
const waiting = new Map<number, (reply: RequestReply) => void>();
let nextSeq = 0;

/** The task waits here while the runner makes what it asked for, with the worker's other slots (see driver.ts). */
const requireTasks = (tasks: readonly Task[]): Promise<void> =>
  new Promise((resolve, reject) => {
    const seq = nextSeq++;
    waiting.set(seq, (reply) => (reply.ok ? resolve() : reject(replyError(reply))));
    send({ type: 'require', seq, tasks: tasks.map(taskRef) });
  });

const runOne = async (message: Extract<ToWorker, { type: 'run' }>): Promise<void> => {
  const id = message.path[message.path.length - 1]!.id;
  // This process ran other tasks before: the peak is reset for this one.
  const measuring = startMeasuring(true);
  const cannotOpen = openLogs(message);
  if (cannotOpen !== undefined) {
    send({ type: 'done', id, ok: false, message: cannotOpen });
    return;
  }
  clearOwnError(path.dirname(message.stderr));
  let outcome: FromWorker;
  try {
    const task = resolver!.resolve(message.path);
    await runTask(task, { beforeCommit: checkLogs, requireTasks });
    outcome = { type: 'done', id, ok: true, usage: measuring.finish(0) };
  } catch (error) {
    writeLog('err', `${taskErrorText(error)}\n`);
    outcome = { type: 'done', id, ok: false, message: errorMessage(error), usage: measuring.finish(1) };
    if (isUserError(error)) writeOwnError(path.dirname(message.stderr), error);
  } finally {
    closeLogs();
  }
  send(outcome);
};

process.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    initSettingsFromSnapshot(message.settings);
    importBundle(message.bundle, message.file).then(
      (module) => {
        resolver = new TaskResolver(module);
        send({ type: 'ready' });
      },
      (error: unknown) => send({ type: 'fatal', message: errorMessage(error) }),
    );
  } else if (message.type === 'run') {
    void runOne(message);
  } else if (message.type === 'required') {
    const answer = waiting.get(message.seq);
    waiting.delete(message.seq);
    answer?.(message);
  }
});
// The runner going away (even by SIGKILL) closes the channel: do not linger.
process.on('disconnect', () => process.exit(0));
