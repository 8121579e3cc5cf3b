/**
 * The journal recorder: each event of the run's stream as the journal
 * entries it becomes, and which of them are flushed to disk before `emit`
 * returns (a submit intent before its command runs, a job id right after).
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { buildGraph, type TaskGraph } from '../../src/pipeline/graph.js';
import type { JournalEntry, JournalWriter } from '../../src/journal/journal.js';
import { journalRecorder } from '../../src/journal/recorder.js';
import type { RunEvent } from '../../src/scheduler/events.js';
import { freshPipelineDir, Sum } from '../pipeline/fixtures.js';

interface Written {
  readonly entry: JournalEntry;
  readonly durable: boolean;
}

/** A journal that keeps what it is given, with its durability flag. */
const fakeJournal = (): { journal: JournalWriter; written: Written[] } => {
  const written: Written[] = [];
  const journal = { append: (entry: JournalEntry, durable = false) => void written.push({ entry, durable }) } as unknown as JournalWriter;
  return { journal, written };
};

let graph: TaskGraph;
let ids: string[];
beforeEach(async () => {
  await freshPipelineDir();
  graph = buildGraph([new Sum({ count: 3 })], { pruneComplete: true });
  ids = graph.nodes.map((node) => node.id);
});

const record = (...events: RunEvent[]): Written[] => {
  const { journal, written } = fakeJournal();
  const recorder = journalRecorder(graph, journal, 'batch');
  for (const event of events) recorder(event);
  return written;
};

describe('the journal recorder: job events', () => {
  it('journals a submit intent flushed to disk before emit returns', () => {
    expect(record({ type: 'job-submit-intent', system: 'slurm', jobs: [{ index: 1, attempt: 2 }] })).toEqual([
      { entry: { type: 'submit-intent', id: ids[1], attempt: 2, system: 'slurm' }, durable: true },
    ]);
  });

  it('journals the intents of a group submission with their place in its output, the last one flushing all', () => {
    const written = record({
      type: 'job-submit-intent',
      system: 'htcondor',
      jobs: [
        { index: 1, attempt: 1 },
        { index: 2, attempt: 1 },
        { index: 3, attempt: 1 },
      ],
      group: 'submit/g.out',
    });
    expect(written.map((w) => w.entry)).toEqual([1, 2, 3].map((index, place) => ({ type: 'submit-intent', id: ids[index], attempt: 1, system: 'htcondor', group: { output: 'submit/g.out', index: place } })));
    expect(written.map((w) => w.durable)).toEqual([false, false, true]);
  });

  it.each(['submitted', 'adopted', 'found'] as const)('journals the job ids of jobs %s, flushed', (how) => {
    const written = record({
      type: 'job-submitted',
      system: 'lsf',
      jobs: [
        { index: 0, attempt: 1, jobId: '17' },
        { index: 2, attempt: 3, jobId: '18' },
      ],
      how,
    });
    expect(written).toEqual([
      { entry: { type: 'submitted', id: ids[0], attempt: 1, system: 'lsf', jobId: '17' }, durable: false },
      { entry: { type: 'submitted', id: ids[2], attempt: 3, system: 'lsf', jobId: '18' }, durable: true },
    ]);
  });

  it('journals a failed submission for each of its jobs, with the error', () => {
    const written = record({ type: 'job-submit-failed', system: 'sge', jobs: [{ index: 1, attempt: 1 }, { index: 2, attempt: 1 }], error: 'qsub: no\ncommand: qsub' });
    expect(written.map((w) => w.entry)).toEqual([
      { type: 'submit-failed', id: ids[1], attempt: 1, system: 'sge', message: 'qsub: no\ncommand: qsub' },
      { type: 'submit-failed', id: ids[2], attempt: 1, system: 'sge', message: 'qsub: no\ncommand: qsub' },
    ]);
  });

  it('closes the tasks of a taken-over run outside the graph, by their ids, flushed', () => {
    const written = record({
      type: 'outside-tasks-closed',
      tasks: [
        { id: 'Other(a=1)', attempt: 1, outcome: 'succeeded' },
        { id: 'Other(a=2)', attempt: 2, outcome: 'cancelled', jobId: '5.0' },
        { id: 'Other(a=3)', attempt: 1, outcome: 'cancelled' },
      ],
      cancelledJobs: [{ system: 'htcondor', jobIds: ['5.0'] }],
    });
    expect(written).toEqual([
      { entry: { type: 'succeeded', id: 'Other(a=1)', attempt: 1 }, durable: false },
      { entry: { type: 'cancelled', id: 'Other(a=2)', attempt: 2, jobId: '5.0' }, durable: false },
      { entry: { type: 'cancelled', id: 'Other(a=3)', attempt: 1 }, durable: true },
    ]);
  });

  it('writes nothing for events that are for the user only', () => {
    expect(
      record(
        { type: 'submit-group-split', system: 'htcondor', size: 10, named: 4, alone: 6, error: 'e' },
        { type: 'submit-outcome-resolved', system: 'slurm', found: ['1'], ran: [{ index: 1, exitStatus: 0 }] },
        { type: 'submit-outcome-unknown', system: 'slurm', error: 'e' },
        { type: 'status-query-failed', system: 'lsf', error: 'e', retry: { failures: 1, delayMs: 2000 } },
        { type: 'jobs-cancelled', system: 'lsf', jobIds: ['1'], why: 'run-stopped' },
        { type: 'unnamed-jobs-unknown', system: 'lsf', runId: 'r', error: 'e' },
        { type: 'adopted-job-cancelled', index: 1, system: 'lsf', jobId: '1' },
        { type: 'cancelling', inFlight: 2 },
      ),
    ).toEqual([]);
  });
});

describe('the journal recorder: task events', () => {
  it('announces a task once, then each attempt, and its end with the attempt it ended', () => {
    const written = record(
      { type: 'task-started', index: 1, attempt: 1 },
      { type: 'task-started', index: 1, attempt: 2 },
      { type: 'task-succeeded', index: 1 },
    ).map((w) => w.entry);
    expect(written.map((e) => e.type)).toEqual(['task', 'started', 'started', 'succeeded']);
    expect(written[3]).toEqual({ type: 'succeeded', id: ids[1], attempt: 2 });
  });
});

describe('the journal recorder: resources', () => {
  it('journals what an attempt used as one resources entry, measured or not', () => {
    const measured = { attempt: 1, startedAt: 1, endedAt: 2001, exitCode: 0, wallSeconds: 2, cpuSeconds: 1, maxRssMb: 50, host: 'wn' };
    const unmeasured = { attempt: 2, endedAt: 9, reason: 'memory' as const };
    expect(record({ type: 'task-measured', index: 0, record: { measured } }, { type: 'task-measured', index: 1, record: { unmeasured } })).toEqual([
      { entry: { type: 'resources', id: ids[0], measured }, durable: false },
      { entry: { type: 'resources', id: ids[1], unmeasured }, durable: false },
    ]);
  });

  it('journals nothing for an escalation: the next submission carries it', () => {
    expect(record({ type: 'resources-escalated', index: 0, ranOutOf: 'memory', memoryMb: { from: 1, to: 2 } })).toEqual([]);
  });
});
