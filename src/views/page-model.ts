/**
 * What the report page shows, computed from a run's state: the summary,
 * per-family progress and resources, failures grouped by cause, and one
 * column per task field (columns keep 100,000 tasks small and fast to
 * parse). Pure: reading log tails and the clock are the caller's.
 */
import type { Liveness } from '../journal/liveness.js';
import { phaseCounts, type RunState, type TaskPhase, type TaskState } from '../journal/state.js';
import type { AttemptResources } from '../run/resources.js';

export const PHASES: readonly TaskPhase[] = ['succeeded', 'running', 'waiting', 'submitting', 'submitted', 'retrying', 'failed', 'cancelled', 'not-run'];

export interface Spread {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface FamilyRow {
  readonly name: string;
  readonly tasks: number;
  /** Tasks of the run in each phase. */
  readonly phases: Readonly<Partial<Record<TaskPhase, number>>>;
  /** Tasks with a measured attempt. */
  readonly measured: number;
  readonly wallSeconds?: Spread;
  readonly queueSeconds?: Spread;
  readonly maxRssMb?: Spread;
  readonly cpuSeconds: number;
  /** CPU time over wall time times the CPUs asked for (1 when none were). */
  readonly cpuEfficiency?: number;
  /** p95 of peak memory over the memory asked for, when asked. */
  readonly memoryEfficiency?: number;
  readonly requestedMemoryMb?: number;
}

export interface FailureGroup {
  readonly reason: string;
  /** The message of the first task of the group (others differ in numbers only). */
  readonly message: string;
  readonly count: number;
  /** The first few tasks, with the tail of their stderr. */
  readonly examples: readonly { readonly task: string; readonly logDir: string; readonly tail: readonly string[] }[];
}

/** One array per field, index = task. Times in seconds since the run started, -1 when unknown. */
export interface TaskColumns {
  readonly name: string[];
  readonly family: number[];
  readonly phase: number[];
  readonly attempt: number[];
  readonly submitted: number[];
  readonly started: number[];
  readonly ended: number[];
  readonly cpu: number[];
  readonly rss: number[];
  readonly host: number[];
}

export interface PageData {
  readonly runId: string;
  readonly pipeline: string;
  readonly mode: string;
  readonly runner: { readonly kind: Liveness['kind']; readonly text: string };
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly generatedAt: number;
  readonly wallSeconds?: number;
  readonly total: number;
  readonly completeBefore: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly families: readonly FamilyRow[];
  readonly failures: readonly FailureGroup[];
  readonly failedTasks: number;
  readonly phases: readonly TaskPhase[];
  readonly hosts: readonly string[];
  readonly tasks: TaskColumns;
  /** The family graph, as SVG. */
  graphSvg?: string;
}

export interface ModelInput {
  readonly runId: string;
  readonly state: RunState;
  readonly liveness: Liveness;
  readonly now: number;
  /** The last lines of a failed task's stderr. */
  readonly tailOf: (task: TaskState) => readonly string[];
}

export const FAILURE_GROUPS = 50;
export const EXAMPLES_PER_GROUP = 3;

const round = (value: number, digits = 1): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

const spread = (values: number[]): Spread | undefined => {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const at = (q: number): number => values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
  return { p50: round(at(0.5)), p95: round(at(0.95)), max: round(values[values.length - 1]!) };
};

const latest = (task: TaskState): AttemptResources | undefined => task.resources?.[task.resources.length - 1];

const runnerText = (liveness: Liveness): string => {
  switch (liveness.kind) {
    case 'finished':
      return liveness.exitCode === 0 ? 'finished' : `finished with exit code ${liveness.exitCode}`;
    case 'alive':
      return `running (pid ${liveness.pid} on ${liveness.host})`;
    case 'dead':
      return `runner died (pid ${liveness.pid} on ${liveness.host})`;
    case 'elsewhere':
      return `runner on ${liveness.host} (pid ${liveness.pid})`;
  }
};

const familyRows = (tasks: readonly TaskState[]): FamilyRow[] => {
  const byFamily = new Map<string, TaskState[]>();
  for (const task of tasks) {
    const list = byFamily.get(task.family);
    if (list) list.push(task);
    else byFamily.set(task.family, [task]);
  }
  return [...byFamily].map(([name, members]) => familyRow(name, members));
};

const familyRow = (name: string, members: readonly TaskState[]): FamilyRow => {
  const phases: Partial<Record<TaskPhase, number>> = {};
  const wall: number[] = [];
  const queue: number[] = [];
  const rss: number[] = [];
  let cpuSeconds = 0;
  let cpuCapacity = 0;
  let requestedMemoryMb: number | undefined;
  for (const task of members) {
    phases[task.phase] = (phases[task.phase] ?? 0) + 1;
    const used = latest(task);
    if (!used) continue;
    wall.push(used.wallSeconds);
    rss.push(used.maxRssMb);
    if (used.submittedAt !== undefined) queue.push(Math.max(0, (used.startedAt - used.submittedAt) / 1000));
    cpuSeconds += used.cpuSeconds;
    cpuCapacity += used.wallSeconds * (used.requested?.cpus ?? 1);
    if (used.requested?.memoryMb !== undefined) requestedMemoryMb = Math.max(requestedMemoryMb ?? 0, used.requested.memoryMb);
  }
  const rssSpread = spread(rss);
  return {
    name,
    tasks: members.length,
    phases,
    measured: wall.length,
    ...optional('wallSeconds', spread(wall)),
    ...optional('queueSeconds', spread(queue)),
    ...optional('maxRssMb', rssSpread),
    cpuSeconds: round(cpuSeconds),
    ...optional('cpuEfficiency', cpuCapacity > 0 ? round(cpuSeconds / cpuCapacity, 3) : undefined),
    ...optional('memoryEfficiency', rssSpread && requestedMemoryMb ? round(rssSpread.p95 / requestedMemoryMb, 3) : undefined),
    ...optional('requestedMemoryMb', requestedMemoryMb),
  };
};

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** Messages that differ only in numbers (ids, exit codes, values) are one cause. */
export const failureKey = (task: TaskState): string => `${task.reason ?? 'exit'}\u0000${(task.message ?? '').replace(/\d+/g, '#')}`;

const failureGroups = (tasks: readonly TaskState[], tailOf: ModelInput['tailOf']): { groups: FailureGroup[]; failed: number } => {
  const groups = new Map<string, TaskState[]>();
  let failed = 0;
  for (const task of tasks) {
    if (task.phase !== 'failed') continue;
    failed++;
    const key = failureKey(task);
    const list = groups.get(key);
    if (list) list.push(task);
    else groups.set(key, [task]);
  }
  const ordered = [...groups.values()].sort((a, b) => b.length - a.length).slice(0, FAILURE_GROUPS);
  return {
    failed,
    groups: ordered.map((members) => ({
      reason: members[0]!.reason ?? 'exit',
      message: members[0]!.message ?? '',
      count: members.length,
      examples: members.slice(0, EXAMPLES_PER_GROUP).map((task) => ({ task: taskName(task), logDir: task.logDir, tail: tailOf(task) })),
    })),
  };
};

export const taskName = (task: TaskState): string => {
  const params = Object.entries(task.params).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${task.family}(${params.join(', ')})`;
};

/**
 * When the latest attempt waited, ran and ended: from its measurement, or
 * what is known of an attempt that left none (killed, out of memory, lost);
 * a job still queued has its submission time only, a local task still
 * running the time it started.
 */
const latestTimes = (task: TaskState): { submitted?: number; started?: number; ended?: number; host?: string } => {
  const measured = latest(task);
  const unmeasured = task.unmeasured?.[task.unmeasured.length - 1];
  const attempt = measured && (!unmeasured || measured.attempt >= unmeasured.attempt) ? measured : unmeasured;
  if (attempt && attempt.attempt === task.attempt) {
    return { submitted: attempt.submittedAt, started: attempt.startedAt, ended: attempt.endedAt, host: attempt.host };
  }
  if (task.phase === 'submitted' || task.phase === 'submitting') return { submitted: task.submittedAt };
  if (task.phase === 'running') return { started: task.changedAt };
  return attempt ? { submitted: attempt.submittedAt, started: attempt.startedAt, ended: attempt.endedAt, host: attempt.host } : {};
};

const columns = (tasks: readonly TaskState[], families: readonly FamilyRow[], origin: number): { columns: TaskColumns; hosts: string[] } => {
  const familyIndex = new Map(families.map((family, index) => [family.name, index]));
  const phaseIndex = new Map(PHASES.map((phase, index) => [phase, index]));
  const hostIndex = new Map<string, number>();
  const seconds = (t: number | undefined): number => (t === undefined ? -1 : round((t - origin) / 1000));
  const out: TaskColumns = { name: [], family: [], phase: [], attempt: [], submitted: [], started: [], ended: [], cpu: [], rss: [], host: [] };
  for (const task of tasks) {
    const used = latest(task);
    const times = latestTimes(task);
    out.name.push(taskName(task));
    out.family.push(familyIndex.get(task.family)!);
    out.phase.push(phaseIndex.get(task.phase)!);
    out.attempt.push(task.attempt);
    out.submitted.push(seconds(times.submitted));
    out.started.push(seconds(times.started));
    out.ended.push(seconds(times.ended));
    out.cpu.push(used ? round(used.cpuSeconds) : -1);
    out.rss.push(used ? round(used.maxRssMb) : -1);
    if (times.host !== undefined) {
      if (!hostIndex.has(times.host)) hostIndex.set(times.host, hostIndex.size);
      out.host.push(hostIndex.get(times.host)!);
    } else out.host.push(-1);
  }
  return { columns: out, hosts: [...hostIndex.keys()] };
};

export const pageModel = (input: ModelInput): PageData => {
  const { state, liveness } = input;
  const tasks = [...state.tasks.values()];
  const started = state.started;
  const origin = started?.t ?? tasks[0]?.changedAt ?? input.now;
  const families = familyRows(tasks);
  const { groups, failed } = failureGroups(tasks, input.tailOf);
  const { columns: taskColumns, hosts } = columns(tasks, families, origin);
  const end = state.finished?.t ?? (liveness.kind === 'alive' ? input.now : state.lastEntryAt);
  const total = started?.total ?? tasks.length;
  return {
    runId: input.runId,
    pipeline: started?.pipeline ?? '',
    mode: started?.mode ?? '',
    runner: { kind: liveness.kind, text: runnerText(liveness) },
    ...optional('startedAt', started?.t),
    ...optional('finishedAt', state.finished?.t),
    generatedAt: input.now,
    ...optional('wallSeconds', started ? round(Math.max(0, end - started.t) / 1000) : undefined),
    total,
    completeBefore: started ? total - started.toRun : 0,
    counts: phaseCounts(state),
    families,
    failures: groups,
    failedTasks: failed,
    phases: PHASES,
    hosts,
    tasks: taskColumns,
  };
};
