/** Turns the run's event stream into journal entries. */
import type { TaskGraph } from '../pipeline/graph.js';
import { logPaths } from '../pipeline/paths.js';
import { paramsToJSON } from '../pipeline/task.js';
import { taskRef } from '../pipeline/reconstruct.js';
import type { RunEvent } from '../scheduler/events.js';
import type { JournalWriter } from './journal.js';

export const journalRecorder = (graph: TaskGraph, journal: JournalWriter, system: string) => {
  // Keyed by node: the graph grows while the run goes on (tasks that run() asks for).
  const announced = new Set<number>();
  const attempts = new Map<number, number>();
  return (event: RunEvent): void => {
    switch (event.type) {
      case 'task-started': {
        const node = graph.nodes[event.index]!;
        attempts.set(event.index, event.attempt);
        if (!announced.has(event.index)) {
          announced.add(event.index);
          journal.append({ type: 'task', id: node.id, family: node.family, params: paramsToJSON(node.task), logDir: logPaths(node.task).dir });
        }
        journal.append({ type: 'started', id: node.id, attempt: event.attempt, system });
        return;
      }
      case 'task-succeeded':
        journal.append({ type: 'succeeded', id: graph.nodes[event.index]!.id, attempt: attempts.get(event.index) ?? 0 });
        return;
      case 'task-failed': {
        const f = event.failure;
        journal.append({
          type: 'failed',
          id: graph.nodes[f.index]!.id,
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
        journal.append({ type: 'cancelled', id: graph.nodes[event.index]!.id, attempt: attempts.get(event.index) ?? 0 });
        return;
      case 'tasks-not-run':
        journal.append({ type: 'not-run', ids: event.indices.map((i) => graph.nodes[i]!.id) });
        return;
      case 'task-waiting':
        journal.append(
          {
            type: 'requested',
            id: graph.nodes[event.index]!.id,
            attempt: attempts.get(event.index) ?? 0,
            tasks: event.requested.map((i) => taskRef(graph.nodes[i]!.task)),
            added: event.added.filter((i) => graph.nodes[i]!.initial !== 'complete').length,
            restart: event.restart,
          },
          // A rerun after a crash must find what the task waits for, or it would start it too early.
          true,
        );
        return;
      case 'task-resumed':
        journal.append({ type: 'resumed', id: graph.nodes[event.index]!.id, attempt: attempts.get(event.index) ?? 0 });
        return;
      case 'cancelling':
      case 'info':
        return;
    }
  };
};
