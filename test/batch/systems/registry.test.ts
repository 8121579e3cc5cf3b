import { describe, expect, it } from '@jest/globals';
import { batchSystemName, createAdapter, detectBatchSystem } from '../../../src/batch/systems/registry.js';

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
    expect(result.value.detectBinary).toBe(binary);
    expect(batchSystemName(name)).toBe(system);
  });

  it('passes each system its own options', () => {
    const slurm = createAdapter('slurm', { slurm: { history: 'scontrol' } });
    if (!slurm.ok) throw new Error(slurm.error.message);
    expect(slurm.value.historyCommands!(['5'], { runTag: 't', jobIds: ['5'], user: 'u' }, (n) => [n])[0]!.argv[0]).toBe('scontrol');
    const sge = createAdapter('uge', { sge: { parallelEnvironment: 'mpi' } });
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
    if (!far.ok) expect(far.error.hint).toBe('known: htcondor, condor, lsf, slurm, sge, gridengine, uge, oge');
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
    expect(detectBatchSystem(on(...binaries), () => gridEngine)).toBe(system);
  });

  it('asks whether qsub is Grid Engine only when qsub decides', () => {
    let asked = 0;
    const isGridEngine = () => {
      asked += 1;
      return true;
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
