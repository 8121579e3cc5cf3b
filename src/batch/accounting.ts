/**
 * What each batch job's attempt used, as the runner learns it when it judges
 * the job: the worker's measurement (resources.json) with the submission
 * time and the request; and what attempts ran out of, which later attempts
 * ask more for (escalate_resources).
 */
import type { Task } from '../pipeline/task.js';
import type { TaskState } from '../journal/state.js';
import type { FailureReason } from '../run/failure.js';
import { jobFilesIn } from '../run/layout.js';
import { attemptRecord, type AttemptRecord, type RequestedResources } from '../run/resources.js';
import type { JobEvent } from '../scheduler/events.js';
import { getSetting } from '../settings/index.js';
import { readMeasurement } from '../executors/measure.js';
import { escalation, NONE, ranOutAfter, ranOutSoFar, type RanOut } from './escalate.js';
import { jobSpec, type JobContext } from './job.js';
import type { TrackedJob } from './watch.js';

export class JobAccounting {
  /** Tasks whose jobs ran out of memory or walltime, by task id. */
  private readonly ranOut = new Map<string, RanOut>();
  /** Adopted jobs' submission times, from the journal (by node index). */
  private readonly adoptedSubmittedAt = new Map<number, number>();
  private ctx?: JobContext;

  /** previousTasks: a dead runner's, whose attempts' shortfalls carry on. */
  constructor(
    private readonly emit: (event: JobEvent) => void,
    previousTasks: Iterable<TaskState> = [],
  ) {
    for (const task of previousTasks) {
      const ranOut = ranOutSoFar(task.unmeasured);
      if (ranOut !== NONE) this.ranOut.set(task.id, ranOut);
    }
  }

  /** The context whose jobSpec gives what a job asks for (it asks this for the escalation in turn). */
  useContext(ctx: JobContext): void {
    this.ctx = ctx;
  }

  /** The multiples of memory and walltime the task's next job asks for. */
  escalationFor(task: Task): { memory: number; walltime: number } {
    return escalation(this.ranOut.get(task.taskId) ?? NONE, getSetting<number>('escalate_resources', { task }), getSetting<number>('escalate_resources_max', { task }));
  }

  adopted(index: number, submittedAt: number | undefined): void {
    if (submittedAt !== undefined) this.adoptedSubmittedAt.set(index, submittedAt);
  }

  /** The attempt's record once its job is judged; a failure's reason may make its retry ask for more. */
  judged(tracked: TrackedJob, reason?: FailureReason): AttemptRecord {
    const { job } = tracked;
    const submittedAt = this.adoptedSubmittedAt.get(job.index) ?? tracked.submittedAt;
    this.adoptedSubmittedAt.delete(job.index);
    const record = attemptRecord(readMeasurement(jobFilesIn(job.logs.dir).resources), {
      attempt: job.attempt,
      submittedAt,
      requested: this.requested(tracked),
      judgedAt: Date.now(),
      ...(reason === undefined ? {} : { reason }),
    });
    if (reason !== undefined) this.noteRanOut(tracked, reason);
    return record;
  }

  private noteRanOut(tracked: TrackedJob, reason: FailureReason): void {
    const { task } = tracked.job;
    const before = this.ranOut.get(task.taskId) ?? NONE;
    const after = ranOutAfter(before, reason);
    if (after === before) return;
    const was = this.requested(tracked);
    this.ranOut.set(task.taskId, after);
    const now = this.requested(tracked);
    const change = (from: number | undefined, to: number | undefined) => (from !== undefined && to !== undefined && to !== from ? { from, to } : undefined);
    const memoryMb = change(was.memoryMb, now.memoryMb);
    const walltimeSeconds = change(was.walltimeSeconds, now.walltimeSeconds);
    if (!memoryMb && !walltimeSeconds) return;
    this.emit({
      type: 'resources-escalated',
      index: tracked.job.index,
      ranOutOf: reason === 'memory' ? 'memory' : 'walltime',
      ...(memoryMb ? { memoryMb } : {}),
      ...(walltimeSeconds ? { walltimeSeconds } : {}),
    });
  }

  private requested(tracked: TrackedJob): RequestedResources {
    if (!this.ctx) return {};
    try {
      const { cpus, memoryMb, walltimeSeconds } = jobSpec(this.ctx, tracked.job.task, tracked.job.logs, tracked.system).resources;
      return { ...(cpus === undefined ? {} : { cpus }), ...(memoryMb === undefined ? {} : { memoryMb }), ...(walltimeSeconds === undefined ? {} : { walltimeSeconds }) };
    } catch {
      // Its job went out with these settings: they cannot fail now, and if they did, what was asked for is unknown.
      return {};
    }
  }
}
