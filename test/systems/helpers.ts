/**
 * Shared by the adapter tests: captured command output from
 * test/fixtures/outputs/<system>/<case>.{txt,stderr.txt,cmd}, a job spec to
 * vary, and a binary lookup.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@jest/globals';
import type { Result } from '../../src/errors.js';
import type { BinaryLookup, JobSpec, JobStatus, QueryContext } from '../../src/systems/contract.js';

const OUTPUTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'outputs');

export interface Capture {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** The command as it was run (first line of the .cmd sidecar). */
  readonly command: string;
}

/** One captured (or documented) command output. */
export const capture = (system: string, name: string): Capture => {
  const base = path.join(OUTPUTS, system, name);
  const [commandLine = '', statusLine = ''] = readFileSync(`${base}.cmd`, 'utf8').split('\n');
  const status = /^exit status: (\d+)$/.exec(statusLine);
  if (status === null) throw new Error(`${base}.cmd has no exit status line`);
  return {
    stdout: readFileSync(`${base}.txt`, 'utf8'),
    stderr: existsSync(`${base}.stderr.txt`) ? readFileSync(`${base}.stderr.txt`, 'utf8') : '',
    exitCode: Number(status[1]),
    command: commandLine.replace(/^\$ /, ''),
  };
};

export const bin: BinaryLookup = (name) => [name];

/** A site wrapper in `batch_commands`, to show that argv[0] comes from the lookup. */
export const wrappedBin: BinaryLookup = (name) => ['/opt/site/bin/wrap', name];

export const jobSpec = (overrides: Partial<JobSpec> = {}): JobSpec => ({
  taskId: 'Average_3_1f0a8e2c4d',
  runTag: 'b2-run-1',
  taskKey: '0123456789ab',
  jobName: 'Average',
  wrapperPath: '/data/tasks/n=3/Average/job_wrapper.sh',
  taskFileDir: '/data/tasks/n=3/Average',
  stdoutPath: '/data/logs/n=3/Average/stdout',
  stderrPath: '/data/logs/n=3/Average/stderr',
  jobLogPath: '/data/logs/n=3/Average/job.log',
  workingDir: '/data/work',
  resources: {},
  systemSettings: {},
  transferFiles: [],
  ...overrides,
});

export const context = (jobIds: readonly string[], runTag = 'b2-run-1'): QueryContext => ({ runTag, jobIds, user: 'alice' });

/** The map of a successful parse, failing the test otherwise. */
export const statuses = (result: Result<Map<string, JobStatus>>): Map<string, JobStatus> => {
  if (!result.ok) throw new Error(`expected statuses, got failure: ${result.error.message}`);
  return result.value;
};

/** id -> state, for compact expectations. */
export const states = (result: Result<Map<string, JobStatus>>): Record<string, string> =>
  Object.fromEntries([...statuses(result)].map(([id, status]) => [id, status.state]));

/** The message of a failed parse, failing the test otherwise. */
export const failureOf = <T>(result: Result<T>): { reason: string; message: string; hint?: string } => {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('expected a failure');
  return result.error;
};

/** The UserError a builder throws, failing the test when it does not throw one. */
export const thrownBy = (build: () => unknown): { reason: string; message: string; hint?: string } => {
  try {
    build();
  } catch (error) {
    const e = error as { reason?: string; message: string; hint?: string };
    if (typeof e.reason === 'string') return { reason: e.reason, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) };
    throw error;
  }
  throw new Error('expected the builder to throw');
};
