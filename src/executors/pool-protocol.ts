/** Messages between the runner and its pool workers (over the IPC channel). */
import type { SettingsSnapshot } from '../settings/index.js';
import type { TaskRef } from '../pipeline/reconstruct.js';
import type { WorkerMeasurement } from '../run/resources.js';
import type { RequestReply } from '../pipeline/dynamic.js';

export type ToWorker =
  | {
      readonly type: 'init';
      readonly bundle: string;
      readonly file: string;
      readonly settings: SettingsSnapshot;
    }
  | { readonly type: 'run'; readonly path: readonly TaskRef[]; readonly stdout: string; readonly stderr: string }
  /** The answer to the worker's request `seq`. */
  | ({ readonly type: 'required'; readonly seq: number } & RequestReply);

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly message: string }
  /** The running task asks for tasks (Task.require) and waits for 'required' with the same seq. */
  | { readonly type: 'require'; readonly seq: number; readonly tasks: readonly TaskRef[] }
  | { readonly type: 'done'; readonly id: string; readonly ok: true; readonly usage?: WorkerMeasurement }
  | { readonly type: 'done'; readonly id: string; readonly ok: false; readonly message: string; readonly usage?: WorkerMeasurement };
