/**
 * Before anything is submitted, what every job of the run would lack stops
 * the run as bad input (exit 2) with the cause, instead of failing each task
 * on its own: the submit command, the env_script, a command to run.
 */
import { describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { averagePipeline, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';
import { journalEntries } from '../helpers/runs.js';

const cluster = useFakeClusters();

/** b2 run --batch on the example; checks that it stopped as bad input before any submission, and returns its stderr. */
const runRefused = (args: string[], env: NodeJS.ProcessEnv, files: Record<string, string> = {}): string => {
  const dir = makeProject({ 'pipeline.ts': averagePipeline(), ...files });
  const result = runB2(['run', 'pipeline.ts', '--batch', '--workers', '20', ...FAST, ...args], { cwd: dir, env });
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 2 });
  expect(result.output).not.toMatch(STACK_LINE);
  const entries = journalEntries(dir);
  expect(entries.filter((entry) => entry.type === 'submit-intent' || entry.type === 'submitted')).toEqual([]);
  expect(entries.at(-1)).toMatchObject({ type: 'run-finished', exitCode: 2 });
  return result.stderr;
};

describe('preflight before anything is submitted', () => {
  it('batch_system slurm without sbatch on PATH', () => {
    const emptyPath = mkdtempSync(path.join(os.tmpdir(), 'b2-empty-path-'));
    const stderr = runRefused(['--batch-system', 'slurm'], { PATH: emptyPath });
    expect(stderr).toMatch(/error: My\w+Task\(.*\) cannot be submitted to slurm: its submit command sbatch is not on PATH\./);
    expect(stderr).toMatch(/hint: +Run on a submit host of slurm, add the folder of sbatch to PATH, or name it in batch_commands/);
  });

  // qsub is Grid Engine's and PBS's: a named system whose qsub another system's probe recognises would get misread jobs.
  describe.each([
    { named: 'pbs', qstat: 'SGE 8.1.9\nusage: qstat [options]', owner: 'a Grid Engine qsub', fix: 'sge' },
    { named: 'sge', qstat: 'pbs_version = 2022.1.1', owner: 'a PBS qsub', fix: 'pbs' },
  ])('batch_system $named with the qsub of another system', ({ named, qstat, owner, fix }) => {
    it('stops before qsub is run', () => {
      const bin = mkdtempSync(path.join(os.tmpdir(), 'b2-qsub-'));
      const submitted = path.join(bin, 'submitted');
      writeFileSync(path.join(bin, 'qsub'), `#!/bin/sh\ntouch ${submitted}\necho 1\n`);
      writeFileSync(path.join(bin, 'qstat'), `#!/bin/sh\nprintf '%s\\n' '${qstat}'\n`);
      for (const tool of ['qsub', 'qstat']) chmodSync(path.join(bin, tool), 0o755);
      const stderr = runRefused(['--batch-system', named], { PATH: `${bin}:${process.env.PATH}` });
      expect(stderr).toContain(`cannot be submitted to ${named}: batch_system is ${named}, but the qsub found here is ${owner}.`);
      expect(stderr).toMatch(new RegExp(`hint: +Set batch_system to ${fix} \\(or auto\\)`));
      expect(existsSync(submitted)).toBe(false);
    });
  });

  it('a batch_commands entry naming a file that does not exist', () => {
    const fake = cluster();
    const stderr = runRefused(['--batch-system', 'htcondor', '--setting', 'batch_commands={"condor_submit": "/opt/site/bin/condor_submit"}'], fake.env);
    expect(stderr).toContain('cannot be submitted to htcondor: batch_commands gives "/opt/site/bin/condor_submit" for condor_submit, which is not an executable file.');
    expect(stderr).toMatch(/hint: +Fix batch_commands\.condor_submit \(from flag --setting batch_commands=.*\)/);
    expect(fake.calls()).toEqual([]);
  });

  it('a missing env_script', () => {
    const fake = cluster();
    const stderr = runRefused(['--batch-system', 'lsf', '--setting', 'env_script=setup/env.sh'], fake.env);
    expect(stderr).toMatch(/cannot be submitted to lsf: env_script "setup\/env\.sh" \(from flag --setting env_script=setup\/env\.sh\) is \/.*\/setup\/env\.sh, which does not exist\./);
    expect(fake.calls()).toEqual([]);
  });

  it('an env_script that is a folder', () => {
    const fake = cluster();
    const stderr = runRefused(['--batch-system', 'htcondor', '--setting', 'env_script=setup'], fake.env, { 'setup/env.sh': 'export A=1\n' });
    expect(stderr).toMatch(/env_script "setup" \(from flag --setting env_script=setup\) is \/.*\/setup, which is not a file\./);
    expect(fake.calls()).toEqual([]);
  });

  it('an empty executable', () => {
    const fake = cluster();
    const stderr = runRefused(['--batch-system', 'htcondor', '--setting', 'executable=[]'], fake.env);
    expect(stderr).toContain('cannot be submitted to htcondor: executable is [] (from flag --setting executable=[]): the jobs would have no command that runs the task.');
    expect(fake.calls()).toEqual([]);
  });

  it('an env_script that exists passes, and the run goes ahead', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline(), 'setup/env.sh': 'export FROM_SCRIPT=1\n' });
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ env_script: 'setup/env.sh' }));
    const result = runB2(['run', 'pipeline.ts', 'MyNumberTask', '--some-parameter', '2', '--batch', '--batch-system', 'htcondor', ...FAST], { cwd: dir, env: fake.env });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
  });
});
