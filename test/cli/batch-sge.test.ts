/**
 * `b2 run --batch` on the real single-host Grid Engine of scripts/sge-up.sh:
 * the shared end-to-end suite of test/helpers/real-batch.ts.
 */
import { describeIfSge } from '../helpers/clusters.js';
import { client, describeRealBatch, type RealSystem } from '../helpers/real-batch.js';

// `qstat -u '*'` rows: job-ID prior name user state submit/start-at queue slots.
const QSTAT_ROW = /^\s*(\d+)\s+\S+\s+\S+\s+\S+\s+(\S+)/;

const SGE: RealSystem = {
  name: 'sge',
  describe: describeIfSge,
  // qstat lists jobs until they have left the execution host, including those being deleted (d).
  activeJobs: () =>
    new Map(
      client(['qstat', '-u', '*'])
        .split('\n')
        .map((line) => QSTAT_ROW.exec(line))
        .filter((match) => match !== null)
        .map((match) => [match[1]!, match[2]!]),
    ),
  isRunning: (state) => /^[dR]*r$/.test(state),
  // qdel exits 1 for ids that have already left; the others are still deleted.
  cancel: (ids) => void client(['qdel', ...ids], { allowFailure: true }),
  jobIdVariable: 'JOB_ID',
  // h_rt is enforced to the second.
  walltime: { setting: '5', runTimeoutMs: 120_000 },
  // qsub -h: hqw until qrls; qstat -j names no reason for a user hold.
  held: { setting: 'sge_settings={"h": true}', reason: 'hqw, no reason given' },
};

SGE.describe('--batch on a real Grid Engine', () => describeRealBatch(SGE));
