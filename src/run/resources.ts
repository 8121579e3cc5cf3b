/**
 * What one attempt of a task used, measured where it ran (the batch job's
 * worker, or the local worker), and what it asked for. The journal carries
 * one record per attempt; `b2 status --json`, the report and `--suggest`
 * read them from the run state.
 */
export interface AttemptResources {
  readonly attempt: number;
  /** Milliseconds since the epoch. submittedAt: when its job was submitted (batch only). */
  readonly submittedAt?: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly exitCode: number;
  /** endedAt - startedAt, in seconds. */
  readonly wallSeconds: number;
  /** User + system CPU time of the task's process and the children it waited for. */
  readonly cpuSeconds: number;
  /** Peak resident memory, in megabytes. */
  readonly maxRssMb: number;
  /** The node it ran on. */
  readonly host: string;
  /** What its job asked for, when resources were set. */
  readonly requested?: { readonly cpus?: number; readonly memoryMb?: number; readonly walltimeSeconds?: number };
}
