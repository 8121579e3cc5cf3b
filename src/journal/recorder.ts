/** Turns the run's event stream into journal entries. */
import type { TaskGraph } from '../pipeline/graph.js';
import { logPaths } from '../pipeline/paths.js';
import { paramsToJSON } from '../pipeline/task.js';
import type { RunEvent } from '../scheduler/events.js';
import type { JournalWriter } from './journal.js';

export const journalRecorder = (graph: TaskGraph, journal: JournalWriter, system: string) => {
  const announced = new Uint8Array(graph.nodes.length);
  const attempts = new Int32Array(graph.nodes.length);
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
        journal.append({ type: 'succeeded', id: graph.nodes[event.index]!.id, attempt: attempts[event.index]! });
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
        journal.append({ type: 'cancelled', id: graph.nodes[event.index]!.id, attempt: attempts[event.index]! });
        return;
      case 'task-measured':
        journal.append({ type: 'resources', id: graph.nodes[event.index]!.id, ...event.record });
        return;
      case 'tasks-not-run':
        journal.append({ type: 'not-run', ids: event.indices.map((i) => graph.nodes[i]!.id) });
        return;
      case 'cancelling':
      case 'info':
        return;
    }
  };
};
