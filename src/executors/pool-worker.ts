/**
 * A long-lived pool worker: loads the pipeline once, then runs one task at a
 * time on request. Each task's console output goes to its own log files.
 * If a task kills this process (process.exit, a crash, SIGKILL) the runner
 * fails that task alone and starts a fresh worker.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, isUserError } from '../errors.js';
import { setPipelineDir } from '../pipeline/context.js';
import { importBundle } from '../pipeline/load.js';
import { TaskResolver } from '../pipeline/reconstruct.js';
import { initSettingsFromSnapshot } from '../settings/index.js';
import type { FromWorker, ToWorker } from './pool-protocol.js';
import { runTask } from './run-task.js';
import { taskErrorText } from './error-text.js';
import { clearOwnError, writeOwnError } from './own-error.js';

let resolver: TaskResolver | undefined;
const logFds = { out: -1, err: -1 };

const send = (message: FromWorker): void => {
  process.send!(message);
};

// console.log and friends end up in these writes; send them to the task's files.
const redirect = (stream: NodeJS.WriteStream, which: 'out' | 'err'): void => {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    const fd = logFds[which];
    if (fd === -1) return original(chunk as string, encoding as BufferEncoding, callback as () => void);
    if (typeof chunk === 'string') writeSync(fd, chunk);
    else writeSync(fd, chunk);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof stream.write;
};
redirect(process.stdout, 'out');
redirect(process.stderr, 'err');

const runOne = async (message: Extract<ToWorker, { type: 'run' }>): Promise<void> => {
  const id = message.path[message.path.length - 1]!.id;
  mkdirSync(path.dirname(message.stdout), { recursive: true });
  logFds.out = openSync(message.stdout, 'w');
  logFds.err = openSync(message.stderr, 'w');
  clearOwnError(path.dirname(message.stderr));
  try {
    const task = resolver!.resolve(message.path);
    await runTask(task);
    send({ type: 'done', id, ok: true });
  } catch (error) {
    writeSync(logFds.err, `${taskErrorText(error)}\n`);
    if (isUserError(error)) writeOwnError(path.dirname(message.stderr), error);
    send({ type: 'done', id, ok: false, message: errorMessage(error) });
  } finally {
    closeSync(logFds.out);
    closeSync(logFds.err);
    logFds.out = logFds.err = -1;
  }
};

process.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    initSettingsFromSnapshot(message.settings);
    setPipelineDir(message.pipelineDir);
    importBundle(message.bundle, message.file).then(
      (module) => {
        resolver = new TaskResolver(module);
        send({ type: 'ready' });
      },
      (error: unknown) => send({ type: 'fatal', message: errorMessage(error) }),
    );
  } else if (message.type === 'run') {
    void runOne(message);
  }
});
// The runner going away (even by SIGKILL) closes the channel: do not linger.
process.on('disconnect', () => process.exit(0));
