/**
 * Batch system names, their aliases, the adapter for each, and the choice
 * `batch_system = auto` makes from the binaries on PATH.
 */
import { ok, fail, type Failure, type Result } from '../../errors.js';
import { closest } from '../../util/closest.js';
import { createHtcondorAdapter } from './htcondor.js';
import { createLsfAdapter, type LsfAdapterOptions } from './lsf.js';
import { createSgeAdapter, type SgeAdapterOptions } from './sge.js';
import { createSlurmAdapter, type SlurmAdapterOptions } from './slurm.js';
import type { BatchAdapter, BatchSystemName } from './contract.js';

export { gridEngineProbeCommand, isGridEngineHelp } from './sge.js';
export { probeSlurmAccountingCommand, parseSlurmAccountingProbe } from './slurm.js';

/** Per-system adapter options; each adapter reads its own. */
export interface AdapterOptions {
  readonly lsf?: LsfAdapterOptions;
  readonly slurm?: SlurmAdapterOptions;
  readonly sge?: SgeAdapterOptions;
}

// Other names sites and users call these systems by.
const ALIASES: Readonly<Record<string, BatchSystemName>> = {
  htcondor: 'htcondor',
  condor: 'htcondor',
  lsf: 'lsf',
  slurm: 'slurm',
  sge: 'sge',
  gridengine: 'sge',
  uge: 'sge', // Univa / Altair Grid Engine
  oge: 'sge', // Oracle / Open Grid Engine
};

/** The batch system a name or alias stands for (case-insensitive); undefined for anything else. */
export const batchSystemName = (name: string): BatchSystemName | undefined => ALIASES[name.trim().toLowerCase()];

/** The adapter for a batch system name or alias. */
export const createAdapter = (name: string, options: AdapterOptions = {}): Result<BatchAdapter, Failure> => {
  const system = batchSystemName(name);
  switch (system) {
    case 'htcondor':
      return ok(createHtcondorAdapter());
    case 'lsf':
      return ok(createLsfAdapter(options.lsf));
    case 'slurm':
      return ok(createSlurmAdapter(options.slurm));
    case 'sge':
      return ok(createSgeAdapter(options.sge));
    case undefined: {
      const suggestion = closest(name, Object.keys(ALIASES));
      return fail({
        reason: 'unknown-batch-system',
        message: `unknown batch system ${JSON.stringify(name)}`,
        hint: suggestion === undefined ? `known: ${Object.keys(ALIASES).join(', ')}` : `did you mean ${JSON.stringify(suggestion)}?`,
      });
    }
  }
};

/**
 * What `batch_system = auto` picks: the first system whose submit binary is
 * on PATH, in b2luigi's order (LSF, HTCondor, Slurm), then Grid Engine, whose
 * `qsub` must be told apart from PBS/Torque and Slurm's qsub wrapper:
 * `isGridEngine` is asked only then (run `gridEngineProbeCommand` and
 * `isGridEngineHelp` on its output).
 */
export const detectBatchSystem = (has: (binary: string) => boolean, isGridEngine: () => boolean = () => false): BatchSystemName | 'local' => {
  if (has('bsub')) return 'lsf';
  if (has('condor_submit')) return 'htcondor';
  if (has('sbatch')) return 'slurm';
  if (has('qsub') && isGridEngine()) return 'sge';
  return 'local';
};
