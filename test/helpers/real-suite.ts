/**
 * What every suite on a real Slurm or Grid Engine needs around its tests:
 * the project folders it made (kept when a test fails, for its logs and
 * journal), runners started in the background (killed after a test, since a
 * live one would submit more jobs), and the jobs its runs journaled that
 * are still queued (cancelled by id, so other suites' jobs are never touched).
 */
import { afterEach, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { makeProject } from './b2.js';
import { journaledJobs } from './runs.js';

export interface RealFarm {
  /** Ids the system still lists as queued or running. */
  readonly activeJobs: () => { has(id: string): boolean };
  /** Remove jobs; ids the system no longer knows are ignored. */
  readonly cancel: (ids: readonly string[]) => void;
}

export interface RealSuite {
  /** A test whose project folders are removed only when it passes. */
  test(name: string, body: () => void | Promise<void>, timeoutMs: number): void;
  /** A project folder (see makeProject) cleaned up after the test. */
  project(files: Record<string, string>): string;
  /** A runner started in the background, killed after the test if still alive. */
  track(child: ChildProcess): void;
}

export const realSuite = (farm: RealFarm): RealSuite => {
  const projects: string[] = [];
  const runners: ChildProcess[] = [];
  let passed = false;

  afterEach(async () => {
    for (const runner of runners.splice(0)) {
      if (runner.exitCode !== null || runner.signalCode !== null) continue;
      const exited = new Promise((resolve) => runner.once('exit', resolve));
      runner.kill('SIGKILL');
      await exited;
    }
    for (const dir of projects.splice(0)) {
      const active = farm.activeJobs();
      const left = [...new Set(journaledJobs(dir).map((job) => job.jobId))].filter((id) => active.has(id));
      if (left.length > 0) farm.cancel(left);
      if (passed) rmSync(dir, { recursive: true, force: true });
      else process.stderr.write(`kept the folder of the failed test: ${dir}\n`);
    }
  });

  return {
    test: (name, body, timeoutMs) =>
      it(
        name,
        async () => {
          passed = false;
          await body();
          passed = true;
        },
        timeoutMs,
      ),
    project: (files) => {
      const dir = makeProject(files);
      projects.push(dir);
      return dir;
    },
    track: (child) => {
      runners.push(child);
    },
  };
};

/** The exit code, with b2's output in the failure message (toMatchObject would show only the code). */
export const expectExit = (result: { code: number | null; signal?: NodeJS.Signals | null; output: string }, code: number): void => {
  if (result.code === code) return;
  const tail = result.output.length > 6000 ? `...${result.output.slice(-6000)}` : result.output;
  throw new Error(`b2 exited with ${result.code ?? result.signal}, expected ${code}; its output:\n${tail}`);
};
