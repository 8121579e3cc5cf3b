/** Passing and lasting submit failures, and the backoff between tries. */
import { describe, expect, it } from '@jest/globals';
import { backoffMs, classifySubmitFailure, SUBMIT_BACKOFF } from '../../src/batch/submit-retry.js';

const failed = (stderr: string, extra: { timedOut?: boolean; startError?: string } = {}) => ({ stdout: '', stderr, timedOut: false, ...extra });

describe('classifySubmitFailure', () => {
  it.each([
    'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation',
    'sbatch: error: Batch job submission failed: Resource temporarily unavailable',
    'sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying',
    'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)',
    'sbatch: error: QOSMaxSubmitJobPerUserLimit',
    'batch system daemon not responding ... still trying',
    'LSF is down. Please wait ...',
    'Request from non-LSF host rejected',
    'error: commlib error: got select error (Connection refused)\nUnable to run job: unable to contact qmaster using port 6444 on host "x".',
    '\nERROR: Failed to connect to local queue manager\nAUTHENTICATE:1003:Failed to authenticate with any method',
  ])('retries "%s"', (stderr) => {
    expect(classifySubmitFailure(failed(stderr))).toBe('transient');
  });

  it('retries a command that timed out', () => {
    expect(classifySubmitFailure(failed('', { timedOut: true }))).toBe('transient');
  });

  it.each([
    'sbatch: error: invalid partition specified: nosuch\nsbatch: error: Batch job submission failed: Invalid partition name specified',
    'sbatch: error: Batch job submission failed: Requested node configuration is not available',
    'No such queue. Job not submitted',
    'Unable to run job: unknown resource "nosuch".\nExiting.',
    '\nERROR: Failed to parse command file (line 3).',
  ])('fails at once on "%s"', (stderr) => {
    expect(classifySubmitFailure(failed(stderr))).toBe('permanent');
  });

  it('fails at once when the command cannot be started', () => {
    expect(classifySubmitFailure(failed('', { startError: 'sbatch was not found on PATH' }))).toBe('permanent');
  });
});

describe('backoffMs', () => {
  it('doubles per try from the base, between half and all of it, up to the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 0))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 0.999999))).toEqual([2000, 4000, 8000, 16_000]);
    expect(backoffMs(30, 0.5)).toBe(Math.round(SUBMIT_BACKOFF.capMs * 0.75));
    expect(backoffMs(30, 1)).toBe(SUBMIT_BACKOFF.capMs);
  });

  it('spreads runners that failed together', () => {
    const waits = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => backoffMs(3, r)));
    expect(waits.size).toBe(5);
  });
});
