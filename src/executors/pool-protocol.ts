/** Messages between the runner and its pool workers (over the IPC channel). */
import type { SettingsSnapshot } from '../settings/index.js';
import type { TaskRef } from '../pipeline/reconstruct.js';
import type { WorkerMeasurement } from '../run/resources.js';

export type ToWorker =
  | {
      readonly type: 'init';
      readonly bundle: string;
      readonly file: string;
      readonly settings: SettingsSnapshot;
    }
  | { readonly type: 'run'; readonly path: readonly TaskRef[]; readonly stdout: string; readonly stderr: string };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'done'; readonly id: string; readonly ok: true; readonly usage?: WorkerMeasurement }
  | { readonly type: 'done'; readonly id: string; readonly ok: false; readonly message: string; readonly usage?: WorkerMeasurement };
