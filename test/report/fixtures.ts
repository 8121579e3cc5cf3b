/** Run-state tasks with measured attempts, for the resource reports' tests. */
import type { TaskState } from '../../src/journal/state.js';
import type { AttemptResources } from '../../src/run/resources.js';

export const attempt = (over: Partial<AttemptResources> = {}): AttemptResources => ({
  attempt: 1,
  startedAt: 10_000,
  endedAt: 20_000,
  exitCode: 0,
  wallSeconds: 10,
  cpuSeconds: 8,
  maxRssMb: 500,
  host: 'wn1',
  ...over,
});

export const taskWith = (id: string, family: string, resources: AttemptResources[], extra: Partial<TaskState> = {}): TaskState => ({
  id,
  family,
  params: {},
  logDir: '',
  phase: 'succeeded',
  attempt: resources.at(-1)?.attempt ?? 1,
  jobIds: [],
  changedAt: 0,
  ...(resources.length ? { resources } : {}),
  ...extra,
});
