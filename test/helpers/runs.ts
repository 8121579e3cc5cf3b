/**
 * What the runs of a test project left behind, read with b2's own journal
 * reader, and the pieces tests use to hold batch jobs back.
 */
import path from 'node:path';
import type { FakeCluster } from '../fakes/lib/index.mjs';
import { readJournal, type StampedEntry } from '../../src/journal/journal.js';
import { listRunIds, runDirAt } from '../../src/journal/run-dir.js';

/** Every entry of every run journal in the project (default state folder), oldest run first. */
export const journalEntries = (dir: string): StampedEntry[] => {
  const stateDir = path.join(dir, '.b2', 'runs');
  return listRunIds(stateDir).flatMap((runId) => readJournal(runDirAt(stateDir, runId).journal));
};

export interface JournaledJob {
  readonly taskId: string;
  readonly jobId: string;
}

/** Every job id the runs in this project wrote to their journals. */
export const journaledJobs = (dir: string): JournaledJob[] =>
  journalEntries(dir).flatMap((entry) => (entry.type === 'submitted' ? [{ taskId: entry.id, jobId: entry.jobId }] : []));

/** The run tag the batch systems know the project's first run by. */
export const runTag = (dir: string): string => {
  const started = journalEntries(dir).find((entry) => entry.type === 'run-started');
  if (started?.type !== 'run-started') throw new Error(`no run in ${dir}`);
  return started.tag;
};

/** Poll `check` until it holds; fail with `what` and the last observation after `timeoutMs`. */
export const waitFor = async (what: string, check: () => boolean | string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let last: boolean | string = false;
  while (Date.now() < deadline) {
    last = check();
    if (last === true) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${typeof last === 'string' ? `: ${last}` : ''}`);
};

/**
 * gate.sh: a job prefix that waits until the file `go` appears next to it.
 * `read -t` on a pipe the shell holds open itself waits without starting a
 * process each second, for a hundred jobs at once.
 */
export const GATE_SCRIPT = '#!/bin/bash\nexec 3<> <(:)\nwhile [ ! -e "$(dirname "$0")/go" ]; do read -t 1 -u 3 || :; done\nexec 3<&-\nexec "$@"\n';

/** The setting that puts the project's gate.sh in front of every job's command. */
export const gateSetting = (dir: string): string[] => ['--setting', `executable_prefix=${JSON.stringify(['bash', path.join(dir, 'gate.sh')])}`];

/**
 * Until no process of the simulated jobs is left. A removed job gets the
 * signals of its kill sequence one after another (TERM, then KILL a second
 * later), so its processes may outlive its entry in the queue a little.
 */
export const jobProcessesEnded = (fake: Pick<FakeCluster, 'runningProcesses'>, timeoutMs = 30_000): Promise<void> =>
  waitFor(
    "the jobs' processes to end",
    () => {
      const left = fake.runningProcesses();
      return left.length === 0 || JSON.stringify(left);
    },
    timeoutMs,
  );

