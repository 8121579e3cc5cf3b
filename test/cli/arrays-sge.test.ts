/** Arrays and packing on the real Grid Engine of scripts/sge-up.sh (test/helpers/real-arrays.ts). */
import { parseQstatXml } from '../../src/systems/sge.js';
import { describeIfSge } from '../helpers/clusters.js';
import { client } from '../helpers/real-batch.js';
import { describeRealArrays } from '../helpers/real-arrays.js';

describeIfSge('arrays on a real Grid Engine', () =>
  describeRealArrays({
    name: 'sge',
    describe: describeIfSge,
    submit: 'qsub',
    indexVariable: 'SGE_TASK_ID',
    elementId: /^\d+\.\d+$/,
    oneElement: '-t 1-1',
    // qstat lists each running task, and the pending ones as a range, until they leave the execution host.
    activeJobs: () => {
      const parsed = parseQstatXml(client(['qstat', '-xml', '-u', '*']), '', 0);
      return parsed.ok ? parsed.value : new Map();
    },
    // qdel exits 1 for ids that have already left; the others are still deleted.
    cancel: (ids) => void client(['qdel', ...ids], { allowFailure: true }),
  }),
);
