/**
 * The batch systems b2 knows: the only list of them. Their names and
 * aliases, the choice `batch_system = auto` makes, the settings each reads,
 * and the adapter for each come from here; the settings table, resume and
 * `b2 status` derive theirs from it. A new system is one adapter file that
 * exports its `BatchSystem`, plus its line below.
 */
import { ok, fail, type Failure, type Result } from '../errors.js';
import { closest } from '../util/closest.js';
import type { BatchAdapter, BatchSystem, BinaryLookup, Command, SystemSetting } from './contract.js';
import { HTCONDOR } from './htcondor.js';
import { LSF } from './lsf.js';
import { PBS } from './pbs.js';
import { SGE } from './sge.js';
import { SLURM } from './slurm.js';

// In the order `batch_system = auto` tries them: b2luigi's (LSF, HTCondor, Slurm), then the qsub systems.
const SYSTEMS = [LSF, HTCONDOR, SLURM, SGE, PBS] as const;

export type BatchSystemName = (typeof SYSTEMS)[number]['name'];

/** Every system's name, in detection order. */
export const BATCH_SYSTEM_NAMES: readonly BatchSystemName[] = SYSTEMS.map((system) => system.name);

const BY_NAME: ReadonlyMap<string, BatchSystem<BatchSystemName>> = new Map(
  SYSTEMS.flatMap((system) => [system.name, ...system.aliases].map((name) => [name, system] as const)),
);

/** Every name and alias a system is known by. */
export const BATCH_SYSTEM_ALIASES: readonly string[] = [...BY_NAME.keys()];

/** The batch system a name or alias stands for (case-insensitive); undefined for anything else. */
export const batchSystemName = (name: string): BatchSystemName | undefined => BY_NAME.get(name.trim().toLowerCase())?.name;


/** A system's description, by its name (`batchSystemName` gives it for an alias). */
export const batchSystem = (name: BatchSystemName): BatchSystem<BatchSystemName> => BY_NAME.get(name)!;

/** The settings of each system alone (`lsf_memory_unit`, ...), for the settings table. */
export const systemSettings = (): { readonly system: BatchSystemName; readonly settingsDescription: string; readonly own: readonly SystemSetting[] }[] =>
  SYSTEMS.map((system) => ({ system: system.name, settingsDescription: system.settingsDescription, own: system.settings }));

/** The keys of the settings a system's adapter reads from `JobSpec.systemOptions`. */
export const systemOptionKeys = (name: BatchSystemName): readonly string[] => batchSystem(name).settings.map((setting) => setting.key);

/** The command run once before a system's query adapter is made (Slurm's accounting probe), if it has one. */
export const setupCommand = (name: BatchSystemName, bin: BinaryLookup): Command | undefined => batchSystem(name).setup?.command(bin);

const unknownSystem = (name: string): Failure => {
  const suggestion = closest(name, BATCH_SYSTEM_ALIASES);
  return {
    reason: 'unknown-batch-system',
    message: `unknown batch system ${JSON.stringify(name)}`,
    hint: suggestion === undefined ? `known: ${BATCH_SYSTEM_ALIASES.join(', ')}` : `did you mean ${JSON.stringify(suggestion)}?`,
  };
};

/**
 * The adapter for a batch system name or alias; `setup` the output of its
 * setup command, when it has one and it was run.
 */
export const createAdapter = (name: string, setup?: { stdout: string; stderr: string; exitCode: number }): Result<BatchAdapter, Failure> => {
  const canonical = batchSystemName(name);
  if (canonical === undefined) return fail(unknownSystem(name));
  const system = batchSystem(canonical);
  const read = setup === undefined || system.setup === undefined ? undefined : system.setup.read(setup.stdout, setup.stderr, setup.exitCode);
  return ok(system.create(read));
};

/**
 * What `batch_system = auto` picks: the first system whose submit binary is
 * on PATH. Where a binary is shared (qsub), the system's probe decides:
 * `probe` runs a command and gives its stdout, asked only then, at most
 * once per command.
 */
export const detectBatchSystem = (has: (binary: string) => boolean, probe: (command: (bin: BinaryLookup) => Command) => string = () => ''): BatchSystemName | 'local' => {
  const outputs = new Map<(bin: BinaryLookup) => Command, string>();
  const output = (command: (bin: BinaryLookup) => Command): string => {
    if (!outputs.has(command)) outputs.set(command, probe(command));
    return outputs.get(command)!;
  };
  for (const { name, detection } of SYSTEMS) {
    if (!has(detection.binary)) continue;
    if (detection.probe === undefined || detection.probe.recognises(output(detection.probe.command))) return name;
  }
  return 'local';
};

/**
 * For a system named outright whose submit binary another system shares
 * (qsub): the other system that binary belongs to, when that system's probe
 * recognises it; undefined when it is not shared, or no other system claims
 * it (a site wrapper that answers no probe is given the benefit of the doubt).
 */
export const claimedByOther = (name: BatchSystemName, probe: (command: (bin: BinaryLookup) => Command) => string): BatchSystemName | undefined => {
  const binary = batchSystem(name).detection.binary;
  for (const other of SYSTEMS) {
    if (other.name === name || other.detection.binary !== binary || other.detection.probe === undefined) continue;
    if (other.detection.probe.recognises(probe(other.detection.probe.command))) return other.name;
  }
  return undefined;
};

/** What auto-detection looks for, for the message when it finds nothing: "bsub, condor_submit, sbatch or a Grid Engine qsub". */
export const detectedBinaries = (): string => {
  const described = SYSTEMS.map((system) => system.detection.described);
  return `${described.slice(0, -1).join(', ')} or ${described.at(-1)!}`;
};
