/** The rendered wrapper as a real Slurm or Grid Engine job: what reaches the task, what gets recorded. */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeIfSge, describeIfSlurm } from '../helpers/clusters.js';
import { nodeCommand, WrapperFixture } from './fixture.js';

const ARGS = ["it's", '$(touch PWNED)', 'two  spaces', 'line1\nline2', 'ünïcödé 🎉', ''];
const TASK = `
process.stdout.write('REPORT' + JSON.stringify({ argv: process.argv.slice(1), env: process.env.NASTY, cwd: process.cwd() }) + '\\n');
process.exit(3);`;

let fx: WrapperFixture;
beforeEach(() => {
  fx = new WrapperFixture();
});
afterEach(() => fx.cleanup());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a real system is allowed to be slow: a loaded CI machine with a daemon that has just started. */
const JOB_TIMEOUT_MS = 150_000;

interface JobControl {
  /** Submit argv; prints the job id alone on stdout. */
  readonly submit: readonly string[];
  /** The job's stdout file: the wrapper's last line goes there just after the exit status is written. */
  readonly stdout: string;
  /** What the system says about the job, for the error when it never finishes. */
  readonly describe: (id: string) => readonly string[];
  readonly cancel: (id: string) => readonly string[];
}

const run = (argv: readonly string[]): { status: number | null; out: string } => {
  const result = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
};

/**
 * Submit and wait for the exit-status file the wrapper writes last. The file is
 * what b2 itself trusts; the clients' own wait modes (sbatch --wait, qsub -sync)
 * back off to half-minute polls and made this test depend on their timing.
 */
const submitAndWait = async (job: JobControl): Promise<void> => {
  const submitted = run(job.submit);
  if (submitted.status !== 0) throw new Error(`${job.submit[0]} exited with ${submitted.status}: ${submitted.out}`);
  const id = submitted.out.split(/[;\s]/)[0] ?? '';
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  const finished = (): boolean =>
    fx.status() !== undefined && existsSync(job.stdout) && readFileSync(job.stdout, 'utf8').includes('b2: finished ');
  while (!finished()) {
    if (Date.now() > deadline) {
      const state = run(job.describe(id)).out;
      run(job.cancel(id));
      throw new Error(`job ${id} wrote no exit status within ${JOB_TIMEOUT_MS / 1000} s; the system said:\n${state}`);
    }
    await sleep(250);
  }
};

const expectTaskRanAndWasRecorded = (stdoutFile: string): void => {
  expect(fx.status()).toBe('3\n');
  const stdout = readFileSync(stdoutFile, 'utf8');
  const report = JSON.parse(stdout.split('\n').find((l) => l.startsWith('REPORT'))?.slice('REPORT'.length) ?? 'null');
  expect(report).toEqual({ argv: ARGS, env: "a 'b' $c `d`", cwd: fx.workDir });
  expect(stdout).toContain('b2: finished ');
  expect(stdout).toContain(`b2: host ${os.hostname()}, pid `);
};

describeIfSlurm('job wrapper under Slurm', () => {
  it('runs the task and records its exit status', async () => {
    const out = path.join(fx.logDir, 'stdout');
    fx.write(nodeCommand(TASK, ...ARGS), { env: { NASTY: "a 'b' $c `d`" } });
    await submitAndWait({
      stdout: out,
      submit: ['sbatch', '--parsable', '-J', 'b2-wrapper-test', '-o', out, '-e', path.join(fx.logDir, 'stderr'), fx.wrapperPath],
      describe: (id) => ['scontrol', 'show', 'job', id],
      cancel: (id) => ['scancel', id],
    });
    expectTaskRanAndWasRecorded(out);
  }, JOB_TIMEOUT_MS + 30_000);
});

describeIfSge('job wrapper under Grid Engine', () => {
  it('runs the task and records its exit status', async () => {
    const out = path.join(fx.logDir, 'stdout');
    fx.write(nodeCommand(TASK, ...ARGS), { env: { NASTY: "a 'b' $c `d`" } });
    await submitAndWait({
      stdout: out,
      submit: ['qsub', '-terse', '-N', 'b2-wrapper-test', '-o', out, '-e', path.join(fx.logDir, 'stderr'), fx.wrapperPath],
      describe: (id) => ['qstat', '-j', id],
      cancel: (id) => ['qdel', id],
    });
    expectTaskRanAndWasRecorded(out);
  }, JOB_TIMEOUT_MS + 30_000);
});
