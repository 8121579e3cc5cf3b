/** The rendered wrapper as a real Slurm or Grid Engine job: what reaches the task, what gets recorded. */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStartedMarker } from '../../src/wrapper/wrapper.js';
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

const submit = (argv: string[]): void => {
  const result = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8', timeout: 50_000 });
  if (result.error) throw result.error;
  // Both --wait and -sync y pass the job's exit status on; anything else is a submission problem.
  if (result.status !== 3) throw new Error(`${argv[0]} exited with ${result.status}: ${result.stderr}${result.stdout}`);
};

const expectTaskRanAndWasRecorded = (stdoutFile: string): void => {
  expect(fx.status()).toBe('3\n');
  const stdout = readFileSync(stdoutFile, 'utf8');
  const report = JSON.parse(stdout.split('\n').find((l) => l.startsWith('REPORT'))?.slice('REPORT'.length) ?? 'null');
  expect(report).toEqual({ argv: ARGS, env: "a 'b' $c `d`", cwd: fx.workDir });
  expect(stdout).toContain('b2: finished ');
  expect(parseStartedMarker(readFileSync(fx.startedFile, 'utf8'))?.host).toBe(os.hostname());
};

describeIfSlurm('job wrapper under Slurm', () => {
  it('runs the task and records its exit status', () => {
    const out = path.join(fx.logDir, 'stdout');
    fx.write(nodeCommand(TASK, ...ARGS), { env: { NASTY: "a 'b' $c `d`" } });
    submit(['sbatch', '--wait', '--quiet', '-J', 'b2-wrapper-test', '-o', out, '-e', path.join(fx.logDir, 'stderr'), fx.wrapperPath]);
    expectTaskRanAndWasRecorded(out);
  });
});

describeIfSge('job wrapper under Grid Engine', () => {
  it('runs the task and records its exit status', () => {
    const out = path.join(fx.logDir, 'stdout');
    fx.write(nodeCommand(TASK, ...ARGS), { env: { NASTY: "a 'b' $c `d`" } });
    submit(['qsub', '-sync', 'y', '-N', 'b2-wrapper-test', '-o', out, '-e', path.join(fx.logDir, 'stderr'), fx.wrapperPath]);
    expectTaskRanAndWasRecorded(out);
  });
});
