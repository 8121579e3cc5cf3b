/**
 * `b2 run --batch` on the real single-node Slurm of scripts/slurm-up.sh:
 * the shared end-to-end suite of test/helpers/real-batch.ts.
 */
import { parseTaggedText } from '../../src/systems/task-key.js';
import { describeIfSlurm } from '../helpers/clusters.js';
import { client, describeRealBatch, type RealSystem } from '../helpers/real-batch.js';

const SLURM: RealSystem = {
  name: 'slurm',
  describe: describeIfSlurm,
  // Plain squeue lists pending, running and completing jobs: exactly those not finished.
  activeJobs: () =>
    new Map(
      client(['squeue', '-h', '-o', '%i %T'])
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((fields): fields is [string, string] => fields.length === 2)
        .map(([id, state]) => [id, state]),
    ),
  isRunning: (state) => state === 'RUNNING',
  cancel: (ids) => void client(['scancel', ...ids], { allowFailure: true }),
  jobIdVariable: 'SLURM_JOB_ID',
  // Slurm's smallest limit is a minute, enforced by a check that runs about every 30 s.
  walltime: { setting: '60', runTimeoutMs: 210_000 },
  // b2 puts the run tag (and the task key) in the comment; squeue -t all still lists finished jobs (MinJobAge of slurm-up.sh).
  jobsTagged: (tag) =>
    client(['squeue', '-h', '-t', 'all', '-o', '%i|%k'])
      .split('\n')
      .map((line) => line.trim().split('|'))
      .filter(([id, comment]) => id && parseTaggedText(comment ?? '').runTag === tag)
      .map(([id]) => id!),
  // sbatch --hold: pending with reason JobHeldUser until scontrol release.
  held: { setting: 'slurm_settings={"hold": true}', reason: 'JobHeldUser' },
};

SLURM.describe('--batch on a real Slurm', () => describeRealBatch(SLURM));
