// Many submits and queries at once: ids must stay distinct and nothing may fail.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFakeCluster, type FakeCluster } from './lib/index.mjs';
import { file, read, runAsync } from './support.js';

let cluster: FakeCluster;
beforeEach(() => {
  cluster = createFakeCluster();
});
afterEach(() => cluster.cleanup());

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('concurrency', () => {
  it('gives 50 concurrent condor_submit calls distinct cluster ids while condor_q runs', async () => {
    const sub = file(cluster, 'job.sub', 'executable = /bin/true\nlog = shared.log\nqueue\n');
    const submits = Array.from({ length: 50 }, () => runAsync(cluster, 'condor_submit', ['-terse', sub]));
    const queries = Array.from({ length: 5 }, () => runAsync(cluster, 'condor_q', ['-json']));
    const results = await Promise.all(submits);
    for (const q of await Promise.all(queries)) expect(q.status).toBe(0);

    expect(results.map((r) => r.stderr)).toEqual(Array(50).fill(''));
    const clusters = results.map((r) => Number(/^(\d+)\.0 - \1\.0\n$/.exec(r.stdout)?.[1]));
    expect(sorted(clusters)).toEqual(ids(50));
    await cluster.waitFor((jobs) => jobs.length === 50 && jobs.every((j) => j.state === 'completed'), { timeoutMs: 120_000 });
    // Every job wrote its three events to the one shared log, none torn.
    const events = read(cluster, 'shared.log').split('...\n').filter(Boolean);
    expect(events).toHaveLength(150);
    for (const e of events) expect(e).toMatch(/^(000|001|005) \(\d{3}\.000\.000\) \S+ \S+ Job (submitted|executing|terminated)/);
    expect(cluster.calls().filter((c) => c.cmd === 'condor_submit')).toHaveLength(50);
  }, 300_000);

  it('gives 50 concurrent bsub calls distinct job ids while bjobs runs', async () => {
    const submits = Array.from({ length: 50 }, () => runAsync(cluster, 'bsub', ['/bin/true']));
    const queries = Array.from({ length: 5 }, () => runAsync(cluster, 'bjobs', ['-a']));
    const results = await Promise.all(submits);
    for (const q of await Promise.all(queries)) expect(q.status).toBe(0);

    expect(results.map((r) => r.stderr)).toEqual(Array(50).fill(''));
    const jobIds = results.map((r) => Number(/^Job <(\d+)> is submitted to default queue <normal>\.\n$/.exec(r.stdout)?.[1]));
    expect(sorted(jobIds)).toEqual(ids(50));
    await cluster.waitFor((jobs) => jobs.length === 50 && jobs.every((j) => j.native === 'DONE'), { timeoutMs: 120_000 });
  }, 300_000);
});
