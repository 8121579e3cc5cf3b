/**
 * Values the HTCondor and LSF readers, or bash, would take for something else,
 * end to end through `b2 run --batch` on the simulators: refused as bad input
 * before anything is submitted, and an inherited POSIXLY_CORRECT that no
 * longer fails every job.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeCluster } from '../fakes/lib/index.mjs';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { averagePipeline, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';

const cluster = useFakeClusters();

// One task whose folders are named by its parameter value.
const oneTaskPipeline = (value: string): string => `
import { writeFileSync } from 'node:fs';
import { Task, param } from 'b2';
export class Named extends Task.with({ name: param.string() }) {
  *output() { yield this.addToOutput('out.txt'); }
  run() { writeFileSync(this.getOutputFileName('out.txt'), this.name); }
}
export default new Named({ name: ${JSON.stringify(value)} });
`;

const run = (system: string, dir: string, fake: FakeCluster, extra: string[] = [], env: Record<string, string> = {}) =>
  runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '20', ...FAST, ...extra], { cwd: dir, env: { ...fake.env, ...env } });

const expectRefused = (result: ReturnType<typeof runB2>, fake: FakeCluster, ...mentioned: string[]): void => {
  expect({ code: result.code, output: result.output }).toMatchObject({ code: 2 });
  for (const text of mentioned) expect(result.output).toContain(text);
  expect(result.output).not.toMatch(STACK_LINE);
  expect(fake.jobs()).toEqual([]);
};

describe('values the batch readers would change, refused before submission', () => {
  it('HTCondor: a job_name ending in a backslash, which would swallow the run tag line', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': oneTaskPipeline('x') });
    expectRefused(run('htcondor', dir, fake, ['--setting', 'job_name=Named\\']), fake, 'ends with a backslash', 'job name');
  });

  it('HTCondor: an htcondor_settings value with blanks at its ends, which condor_submit drops', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': oneTaskPipeline('x') });
    expectRefused(run('htcondor', dir, fake, ['--setting', 'htcondor_settings={"arguments": " -v"}']), fake, 'htcondor_settings arguments', 'blanks');
  });

  it('LSF: %J in a log path, which LSF would replace with the job id', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': oneTaskPipeline('run%J') });
    expectRefused(run('lsf', dir, fake), fake, 'contains %J');
  });

  it.each(['htcondor', 'lsf'])('%s: an env entry bash itself reads', (system) => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': oneTaskPipeline('x') });
    expectRefused(run(system, dir, fake, ['--setting', 'env={"POSIXLY_CORRECT": "1"}']), fake, 'env entry POSIXLY_CORRECT', 'POSIX mode');
  });
});

describe('an inherited POSIXLY_CORRECT', () => {
  it('LSF passes the environment on (-env all): the jobs still record their own status', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const result = run('lsf', dir, fake, [], { POSIXLY_CORRECT: '1' });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'average.txt'), 'utf8')).toBe('28.5');
    expect(readFileSync(path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask', 'exit_status'), 'utf8')).toBe('0\n');
  });
});
