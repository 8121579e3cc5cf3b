import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { judgeJob, type JobObservation } from '../../src/batch/judge.js';
import { neededDependencies } from '../../src/batch/needs-dependencies.js';
import type { TrackedJob } from '../../src/batch/watch.js';
import { NEEDS_DEPENDENCIES_STATUS } from '../../src/pipeline/dynamic.js';
import { jobFilesIn } from '../../src/run/layout.js';

const base: JobObservation = { now: 1000, lostGraceMs: 300_000, exitFileGraceMs: 15_000, heldGraceMs: 300_000 };

describe('a job that ends with the needs-dependencies status', () => {
  it('is judged neither a success nor a failure, whatever the queue says of it', () => {
    expect(judgeJob({ ...base, exitStatus: NEEDS_DEPENDENCIES_STATUS })).toEqual({ kind: 'needs-dependencies' });
    expect(judgeJob({ ...base, exitStatus: NEEDS_DEPENDENCIES_STATUS, queue: { jobId: '1', state: 'failed', native: 'FAILED', exitCode: NEEDS_DEPENDENCIES_STATUS } })).toEqual({
      kind: 'needs-dependencies',
    });
    expect(judgeJob({ ...base, exitStatus: NEEDS_DEPENDENCIES_STATUS - 1 })).toMatchObject({ kind: 'failed' });
  });

  const tracked = (logDir: string): TrackedJob =>
    ({ job: { index: 3, task: { taskId: 'Merge_1' }, logs: { dir: logDir } }, jobId: '42', system: 'slurm' }) as unknown as TrackedJob;

  it('gives the tasks its job listed, as a request of the task', () => {
    const logDir = mkdtempSync(path.join(os.tmpdir(), 'b2-needs-'));
    const ref = { id: 'Piece_1', family: 'Piece', params: { k: 1 } };
    writeFileSync(jobFilesIn(logDir).requested, JSON.stringify({ requester: 'Merge_1', tasks: [{ path: [ref], bundle: '/b', file: '/p.ts' }] }));
    expect(neededDependencies(tracked(logDir).job, tracked(logDir).jobId)).toMatchObject({ index: 3, ok: false, jobId: '42', requested: [ref] });
  });

  it('fails the task when its job left no usable list: the status was no request of b2', () => {
    const logDir = mkdtempSync(path.join(os.tmpdir(), 'b2-needs-'));
    const outcome = neededDependencies(tracked(logDir).job, tracked(logDir).jobId);
    expect(outcome).toMatchObject({ ok: false, reason: 'exit', exitCode: NEEDS_DEPENDENCIES_STATUS });
    expect('requested' in outcome && outcome.requested).toBe(false);
    expect(!outcome.ok && outcome.message).toContain(`exited with code ${NEEDS_DEPENDENCIES_STATUS}, b2's "needs dependencies" status, but its list of requested tasks`);
    writeFileSync(jobFilesIn(logDir).requested, JSON.stringify({ requester: 'Other_1', tasks: [] }));
    expect(!neededDependencies(tracked(logDir).job, tracked(logDir).jobId).ok && (neededDependencies(tracked(logDir).job, tracked(logDir).jobId) as { message: string }).message).toContain('is for task "Other_1"');
  });
});
