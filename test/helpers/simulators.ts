/**
 * The HTCondor and LSF simulators for end-to-end suites: one fake cluster
 * per test, cleaned up after it, and the fast polling those tests run with.
 */
import { afterEach } from '@jest/globals';
import { createFakeCluster, type FakeCluster } from '../fakes/lib/index.mjs';

/**
 * Fast polling for tests, and two submit retries (a submission that keeps
 * failing gives up in seconds); everything else as a user would have it. The query
 * timeout leaves room for a simulated command (a Node process) to start on a
 * loaded machine: one killed before it ran is never counted.
 */
export const FAST = ['--setting', 'poll_interval=0.3', '--setting', 'lost_job_grace=3', '--setting', 'status_query_timeout=10', '--setting', 'submit_retries=2'];

/** Call at the top of a suite: gives a factory of fake clusters, each removed after its test. */
export const useFakeClusters = (): (() => FakeCluster) => {
  let clusters: FakeCluster[] = [];
  afterEach(() => {
    for (const cluster of clusters) cluster.cleanup();
    clusters = [];
  });
  return () => {
    const cluster = createFakeCluster();
    clusters.push(cluster);
    return cluster;
  };
};
