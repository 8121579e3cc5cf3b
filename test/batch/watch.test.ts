import { afterEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobStatus } from '../../src/systems/contract.js';
import { newTrackedJob, nextSight, observationOf, Watch, type QueueSight } from '../../src/batch/watch.js';
import type { TaskJob } from '../../src/executors/executor.js';
import { resetSettings } from '../../src/settings/index.js';
import { createFakeCluster, type FakeCluster } from '../fakes/lib/index.mjs';
import { run, script } from '../fakes/support.js';

const TAG = 'run-tag-watch';

const status = (state: JobStatus['state']): JobStatus => ({ jobId: '7', state, native: state.toUpperCase() });
const unseen: QueueSight = { kind: 'unseen' };
const observed = (sight: QueueSight, exitStatus?: number) => observationOf({ job: {} as never, system: 'slurm', jobId: '7', submittedAt: 0, exitFile: '', adopted: false, exitStatus, sight, quiet: false });

describe('what the queue has said of a job', () => {
  it('knows nothing before an answer lists or misses it, and nothing from answers asked before the submission', () => {
    expect(observed(unseen)).toEqual({});
    expect(nextSight(unseen, undefined, 5, 6, 10)).toBe(unseen);
  });

  it('keeps since when a job is held, through answers that hold it still, and drops it when released', () => {
    const held = nextSight(unseen, status('held'), 10, 11, 0);
    const stillHeld = nextSight(held, status('held'), 20, 21, 0);
    expect(observed(stillHeld)).toMatchObject({ heldSince: 10, lastSeenAt: 20, queue: { state: 'held' } });
    expect(observed(nextSight(stillHeld, status('running'), 30, 31, 0))).not.toHaveProperty('heldSince');
  });

  it('keeps when the job was first seen ended, and when it was last listed once the queue misses it', () => {
    const ended = nextSight(nextSight(unseen, status('failed'), 10, 12, 0), status('failed'), 20, 22, 0);
    expect(observed(ended)).toMatchObject({ endedAt: 12, lastSeenAt: 20 });
    const missing = nextSight(nextSight(ended, undefined, 30, 31, 0), undefined, 40, 41, 0);
    expect(observed(missing, 1)).toEqual({ exitStatus: 1, queue: status('failed'), lastSeenAt: 20, endedAt: 12, missingSince: 30 });
  });

  it('is no longer missing once an answer lists the job again', () => {
    const missing = nextSight(unseen, undefined, 10, 11, 0);
    expect(observed(missing)).toEqual({ missingSince: 10 });
    expect(observed(nextSight(missing, status('running'), 20, 21, 0))).toEqual({ queue: status('running'), lastSeenAt: 20 });
  });
});

describe('jobs waiting in the queue, counted as answers come (the submitter asks at every pump)', () => {
  let cluster: FakeCluster | undefined;
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
    delete process.env.B2_FAKE_CLUSTER_DIR;
    cluster?.cleanup();
    cluster = undefined;
  });

  it('counts the jobs an answer lists as pending, and follows removals and re-added jobs', async () => {
    resetSettings();
    cluster = createFakeCluster();
    process.env.PATH = cluster.env.PATH;
    process.env.B2_FAKE_CLUSTER_DIR = cluster.env.B2_FAKE_CLUSTER_DIR;
    // Idle for a minute: every answer meanwhile lists them as pending.
    cluster.setFaults({ startDelayMs: 60_000 });
    script(cluster, 'job.sh', 'exit 0');
    const submitFile = path.join(cluster.dir, 'job.sub');
    writeFileSync(submitFile, `executable = job.sh\n+B2RunTag = "${TAG}"\nqueue\n`);
    const ids = [1, 2, 3].map(() => `${/cluster (\d+)\./.exec(run(cluster!, 'condor_submit', [submitFile]).stdout)![1]}.0`);
    const watch = new Watch(TAG, () => {});
    const tracked = (index: number, jobId: string) => newTrackedJob({ index } as TaskJob, 'htcondor', jobId, path.join(cluster!.dir, `exit-${index}`));
    ids.forEach((id, index) => watch.add(tracked(index, id)));
    expect(watch.waitingIn('htcondor')).toBe(0);

    const answered = async (): Promise<void> => {
      const calls = cluster!.calls().filter((call) => call.cmd === 'condor_q').length;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        watch.check();
        if (cluster!.calls().filter((call) => call.cmd === 'condor_q').length > calls) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The answer is taken in once the command has returned.
      for (const deadline = Date.now() + 10_000; Date.now() < deadline && watch.waitingIn('htcondor') === 0; ) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await answered();
    expect(watch.waitingIn('htcondor')).toBe(3);
    expect(watch.waitingIn('lsf')).toBe(0);

    watch.remove(0);
    expect(watch.waitingIn('htcondor')).toBe(2);
    // A retry tracks the same task again under a job the queue has not listed yet.
    watch.add(tracked(1, ids[1]!));
    expect(watch.waitingIn('htcondor')).toBe(1);
    watch.remove(7);
    expect(watch.waitingIn('htcondor')).toBe(1);
  });
});
