import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finishedMeanwhileEntries } from '../../src/journal/resume.js';
import type { TaskState } from '../../src/journal/state.js';

const taskIn = (logDir: string): TaskState => ({
  id: 'A_1',
  family: 'A',
  params: {},
  logDir,
  phase: 'submitted',
  attempt: 2,
  system: 'slurm',
  jobId: '77',
  submittedAt: 5_000,
  jobIds: ['76', '77'],
  changedAt: 5_000,
});

describe('finishedMeanwhileEntries: resources', () => {
  it('journals what the job of a task that finished while no runner watched measured, before its success', () => {
    const logDir = mkdtempSync(path.join(os.tmpdir(), 'b2-meanwhile-'));
    writeFileSync(path.join(logDir, 'resources.json'), JSON.stringify({ startedAt: 6_000, host: 'wn7', endedAt: 9_000, exitCode: 0, cpuSeconds: 2.5, maxRssMb: 300 }));
    expect(finishedMeanwhileEntries({ finishedMeanwhile: [{ task: taskIn(logDir) }] }, 20_000)).toEqual([
      {
        type: 'resources',
        id: 'A_1',
        measured: { attempt: 2, submittedAt: 5_000, startedAt: 6_000, endedAt: 9_000, exitCode: 0, wallSeconds: 3, cpuSeconds: 2.5, maxRssMb: 300, host: 'wn7' },
      },
      { type: 'succeeded', id: 'A_1', attempt: 2 },
    ]);
  });

  it('journals only the success when the job left no measurement', () => {
    const logDir = mkdtempSync(path.join(os.tmpdir(), 'b2-meanwhile-'));
    expect(finishedMeanwhileEntries({ finishedMeanwhile: [{ task: taskIn(logDir) }] })).toEqual([{ type: 'succeeded', id: 'A_1', attempt: 2 }]);
  });
});
