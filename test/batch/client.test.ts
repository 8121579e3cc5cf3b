// Status queries against the HTCondor simulator: the live queue first, the
// history only for the jobs that left it and did not settle otherwise.
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { queryJobStates } from '../../src/batch/client.js';
import { resetSettings } from '../../src/settings/index.js';
import { createFakeCluster, type FakeCluster } from '../fakes/lib/index.mjs';
import { run, script } from '../fakes/support.js';

jest.setTimeout(120_000);

const TAG = 'run-tag-1';
let cluster: FakeCluster;
let savedPath: string | undefined;
let ids: string[];

beforeAll(async () => {
  cluster = createFakeCluster();
  savedPath = process.env.PATH;
  process.env.PATH = cluster.env.PATH;
  process.env.B2_FAKE_CLUSTER_DIR = cluster.env.B2_FAKE_CLUSTER_DIR;
  script(cluster, 'job.sh', 'exit 0');
  const submitFile = path.join(cluster.dir, 'job.sub');
  writeFileSync(submitFile, `executable = job.sh\n+B2RunTag = "${TAG}"\nqueue\n`);
  ids = [1, 2].map(() => /cluster (\d+)\./.exec(run(cluster, 'condor_submit', [submitFile]).stdout)![1] + '.0');
  await cluster.waitFor((jobs) => jobs.length === 2 && jobs.every((job) => job.state === 'completed'));
  // Completed jobs leave condor_q: only the history knows them now.
  await cluster.waitFor(() => run(cluster, 'condor_q', ['-json']).stdout === '');
});

afterAll(() => {
  process.env.PATH = savedPath;
  delete process.env.B2_FAKE_CLUSTER_DIR;
  cluster.cleanup();
});

beforeEach(() => resetSettings());

const historyCalls = (): number => cluster.calls().filter((call) => call.cmd === 'condor_history').length;

describe('queryJobStates', () => {
  it('reads the history for jobs gone from the queue', async () => {
    const before = historyCalls();
    const query = await queryJobStates('htcondor', ids, TAG);
    expect(query.error).toBeUndefined();
    expect([...query.states.values()].map((status) => [status.jobId, status.state])).toEqual(
      expect.arrayContaining(ids.map((id) => [id, 'succeeded'])),
    );
    expect(historyCalls()).toBe(before + 1);
  });

  it('skips the history for jobs that settled otherwise, and only for those', async () => {
    const before = historyCalls();
    const none = await queryJobStates('htcondor', ids, TAG, { settled: () => true });
    expect(none.states.size).toBe(0);
    expect(historyCalls()).toBe(before);

    const asked: string[] = [];
    const one = await queryJobStates('htcondor', ids, TAG, {
      settled: (id) => {
        asked.push(id);
        return id === ids[0];
      },
    });
    expect(asked.sort()).toEqual([...ids].sort());
    expect([...one.states.keys()]).toEqual([ids[1]]);
    expect(historyCalls()).toBe(before + 1);
  });
});
