/** Arrays and packing on the real Slurm of scripts/slurm-up.sh (test/helpers/real-arrays.ts). */
import { parseSqueueOutput } from '../../src/systems/slurm.js';
import { describeIfSlurm } from '../helpers/clusters.js';
import { client } from '../helpers/real-batch.js';
import { describeRealArrays } from '../helpers/real-arrays.js';

describeIfSlurm('arrays on a real Slurm', () =>
  describeRealArrays({
    name: 'slurm',
    describe: describeIfSlurm,
    submit: 'sbatch',
    indexVariable: 'SLURM_ARRAY_TASK_ID',
    elementId: /^\d+_\d+$/,
    oneElement: '--array=1-1',
    // -r: one line per element, pending ones too; without -t, only those not finished.
    activeJobs: () => {
      const parsed = parseSqueueOutput(client(['squeue', '-h', '-r', '-o', '%i|%T|%r|%k']), '', 0);
      return parsed.ok ? parsed.value : new Map();
    },
    cancel: (ids) => void client(['scancel', ...ids], { allowFailure: true }),
  }),
);
