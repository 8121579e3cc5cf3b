import { describe, expect, it } from '@jest/globals';
import {
  BATCH_SYSTEM_ALIASES,
  BATCH_SYSTEM_NAMES,
  batchSystem,
  batchSystemName,
  createAdapter,
  detectBatchSystem,
  systemOptionKeys,
} from '../../src/systems/registry.js';
import { SETTINGS_BY_KEY } from '../../src/settings/table.js';

describe('createAdapter', () => {
  it.each([
    ['htcondor', 'htcondor', 'condor_submit'],
    ['condor', 'htcondor', 'condor_submit'],
    ['lsf', 'lsf', 'bsub'],
    ['slurm', 'slurm', 'sbatch'],
    ['sge', 'sge', 'qsub'],
    ['gridengine', 'sge', 'qsub'],
    ['uge', 'sge', 'qsub'],
    ['oge', 'sge', 'qsub'],
    [' Slurm ', 'slurm', 'sbatch'],
  ])('creates the adapter for %j', (name, system, binary) => {
    const result = createAdapter(name);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.name).toBe(system);
    expect(batchSystemName(name)).toBe(system);
    expect(batchSystem(batchSystemName(name)!).detection.binary).toBe(binary);
  });

  it('passes each system its own options', () => {
    const slurm = createAdapter('slurm', { stdout: '', stderr: 'sacct: error: Problem talking to the database: Connection refused', exitCode: 1 });
    if (!slurm.ok) throw new Error(slurm.error.message);
    expect(slurm.value.historyCommands!(['5'], { runTag: 't', jobIds: ['5'], user: 'u' }, (n) => [n])[0]!.argv[0]).toBe('scontrol');
    const sge = createAdapter('uge');
    if (!sge.ok) throw new Error(sge.error.message);
    const spec = {
      taskId: 'T',
      runTag: 't',
      taskKey: '0123456789ab',
      jobName: 'T',
      wrapperPath: '/w.sh',
      taskFileDir: '/d',
      stdoutPath: '/o',
      stderrPath: '/e',
      jobLogPath: '/l',
      workingDir: '/d',
      resources: { cpus: 2 },
      systemSettings: {},
      systemOptions: { sge_parallel_environment: 'mpi' },
      transferFiles: [],
    };
    expect(sge.value.submitCommand(spec, (n) => [n]).argv.join(' ')).toContain(' -pe mpi 2 ');
  });

  it('names an unknown system and suggests a near one', () => {
    const result = createAdapter('slrum');
    expect(result).toEqual({
      ok: false,
      error: { reason: 'unknown-batch-system', message: 'unknown batch system "slrum"', hint: 'did you mean "slurm"?' },
    });
    const far = createAdapter('kubernetes');
    expect(far.ok).toBe(false);
    if (!far.ok) expect(far.error.hint).toBe(`known: ${BATCH_SYSTEM_ALIASES.join(', ')}`);
    expect(BATCH_SYSTEM_ALIASES).toEqual(expect.arrayContaining(['lsf', 'htcondor', 'condor', 'slurm', 'sge', 'gridengine', 'uge', 'oge']));
    expect(batchSystemName('local')).toBeUndefined();
  });
});

describe('detectBatchSystem', () => {
  const on = (...binaries: string[]) => (binary: string) => binaries.includes(binary);

  it.each([
    [['bsub', 'condor_submit', 'sbatch', 'qsub'], true, 'lsf'],
    [['condor_submit', 'sbatch', 'qsub'], true, 'htcondor'],
    [['sbatch', 'qsub'], true, 'slurm'],
    [['qsub'], true, 'sge'],
    [['qsub'], false, 'local'],
    [[], true, 'local'],
  ])('with %j on PATH (qsub is Grid Engine: %s) picks %s', (binaries, gridEngine, system) => {
    expect(detectBatchSystem(on(...binaries), () => (gridEngine ? 'SGE 8.1.9\nusage: qstat [options]\n' : 'Version: 6.1.2\nCommit: 661e092552de43a785c15d39a3634a541d86898e\n'))).toBe(system);
  });

  it('asks whether qsub is Grid Engine only when qsub decides', () => {
    let asked = 0;
    const isGridEngine = () => {
      asked += 1;
      return 'SGE 8.1.9\n';
    };
    detectBatchSystem(on('sbatch', 'qsub'), isGridEngine);
    detectBatchSystem(on(), isGridEngine);
    expect(asked).toBe(0);
    detectBatchSystem(on('qsub'), isGridEngine);
    expect(asked).toBe(1);
  });

  it('treats a qsub of unknown origin as not Grid Engine by default', () => {
    expect(detectBatchSystem(on('qsub'))).toBe('local');
  });
});

describe('the settings table', () => {
  it('takes batch_system’s choices and each system’s settings from the registry', () => {
    const batchSystem = SETTINGS_BY_KEY.get('batch_system')!.type;
    expect(batchSystem).toEqual({ kind: 'enum', values: ['auto', 'local', ...BATCH_SYSTEM_ALIASES] });
    for (const name of BATCH_SYSTEM_NAMES) {
      expect(SETTINGS_BY_KEY.get(`${name}_settings`)?.type).toEqual({ kind: 'object' });
      expect(systemOptionKeys(name).every((key) => SETTINGS_BY_KEY.has(key))).toBe(true);
    }
    expect(systemOptionKeys('lsf')).toEqual(['lsf_memory_unit']);
    expect(systemOptionKeys('sge')).toEqual(['sge_memory_resource', 'sge_parallel_environment']);
  });
});
