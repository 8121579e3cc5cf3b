/**
 * Turns the run's event stream into journal entries: the one writer of a
 * run's task and job entries while it runs. Synchronous, so that an entry is
 * on disk when `emit` returns: a submit intent before its command runs, a
 * job id right after.
 */
import type { TaskGraph } from '../pipeline/graph.js';
import { logPaths } from '../pipeline/paths.js';
import { paramsToJSON } from '../pipeline/task.js';
import type { RunEvent } from '../scheduler/events.js';
import type { JournalEntry, JournalWriter } from './journal.js';

export const journalRecorder = (graph: TaskGraph, journal: JournalWriter, system: string) => {
  const announced = new Uint8Array(graph.nodes.length);
  const attempts = new Int32Array(graph.nodes.length);
  const idOf = (index: number): string => graph.nodes[index]!.id;
  // Several entries of one event: the last one flushed, with all before it.
  const appendAll = (entries: readonly JournalEntry[], durable: boolean): void =>
    entries.forEach((entry, index) => journal.append(entry, durable && index === entries.length - 1));

  return (event: RunEvent): void => {
    switch (event.type) {
      case 'task-started': {
        const node = graph.nodes[event.index]!;
        attempts[event.index] = event.attempt;
        if (!announced[event.index]) {
          announced[event.index] = 1;
          journal.append({ type: 'task', id: node.id, family: node.family, params: paramsToJSON(node.task), logDir: logPaths(node.task).dir });
        }
        journal.append({ type: 'started', id: node.id, attempt: event.attempt, system });
        return;
      }
      case 'task-succeeded':
        journal.append({ type: 'succeeded', id: idOf(event.index), attempt: attempts[event.index]! });
        return;
      case 'task-failed': {
        const f = event.failure;
        journal.append({
          type: 'failed',
          id: idOf(f.index),
          attempt: f.attempts,
          message: f.message,
          reason: f.reason,
          final: !event.willRetry,
          ...(f.exitCode === undefined ? {} : { exitCode: f.exitCode }),
          ...(f.jobId === undefined ? {} : { jobId: f.jobId }),
        });
        return;
      }
      case 'task-cancelled':
        journal.append({ type: 'cancelled', id: idOf(event.index), attempt: attempts[event.index]! });
        return;
      case 'task-measured':
        journal.append({ type: 'resources', id: graph.nodes[event.index]!.id, ...event.record });
        return;
      case 'tasks-not-run':
        journal.append({ type: 'not-run', ids: event.indices.map(idOf) });
        return;
      case 'cancelling':
        return;
      case 'job-submit-intent': {
        const { group } = event;
        appendAll(
          event.jobs.map((job, index) => ({
            type: 'submit-intent',
            id: idOf(job.index),
            attempt: job.attempt,
            system: event.system,
            ...(group === undefined ? {} : { group: { output: group, index } }),
          })),
          true,
        );
        return;
      }
      case 'job-submitted':
        appendAll(
          event.jobs.map((job) => ({ type: 'submitted', id: idOf(job.index), attempt: job.attempt, system: event.system, jobId: job.jobId })),
          true,
        );
        return;
      case 'job-submit-failed':
        appendAll(
          event.jobs.map((job) => ({ type: 'submit-failed', id: idOf(job.index), attempt: job.attempt, system: event.system, message: event.error })),
          false,
        );
        return;
      case 'outside-tasks-closed':
        appendAll(
          event.tasks.map((task): JournalEntry =>
            task.outcome === 'succeeded'
              ? { type: 'succeeded', id: task.id, attempt: task.attempt }
              : { type: 'cancelled', id: task.id, attempt: task.attempt, ...(task.jobId === undefined ? {} : { jobId: task.jobId }) },
          ),
          true,
        );
        return;
      case 'submit-group-split':
      case 'submit-outcome-resolved':
      case 'submit-outcome-unknown':
      case 'status-query-failed':
      case 'jobs-cancelled':
      case 'unnamed-jobs-unknown':
      case 'adopted-job-cancelled':
      case 'resources-escalated':
        // For the user only: the journal learns of these jobs' fate through their tasks' entries.
        return;
    }
  };
};
