import { describe, expect, it } from '@jest/globals';
import { clusterRequired, decideSuite, sgeUsable, slurmUsable } from './clusters.js';

describe('cluster gates', () => {
  it('runs where usable, fails where required, skips otherwise', () => {
    expect(decideSuite(true, true)).toBe('run');
    expect(decideSuite(true, false)).toBe('run');
    expect(decideSuite(false, true)).toBe('fail');
    expect(decideSuite(false, false)).toBe('skip');
  });

  it('requires the systems under CI or when their flag is set', () => {
    expect(clusterRequired('B2_TEST_SLURM', { CI: 'true' })).toBe(true);
    expect(clusterRequired('B2_TEST_SLURM', { CI: '1' })).toBe(true);
    expect(clusterRequired('B2_TEST_SLURM', { B2_TEST_SLURM: '1' })).toBe(true);
    expect(clusterRequired('B2_TEST_SLURM', { B2_TEST_SGE: '1' })).toBe(false);
    expect(clusterRequired('B2_TEST_SLURM', { CI: 'false', B2_TEST_SLURM: '0' })).toBe(false);
    expect(clusterRequired('B2_TEST_SLURM', { CI: '' })).toBe(false);
    expect(clusterRequired('B2_TEST_SLURM', {})).toBe(false);
  });

  it('reads sinfo node states', () => {
    expect(slurmUsable('idle\n')).toBe(true);
    expect(slurmUsable('down*\nmixed\n')).toBe(true);
    expect(slurmUsable('idle*\n')).toBe(false);
    expect(slurmUsable('drained\n')).toBe(false);
    expect(slurmUsable('')).toBe(false);
  });

  it('reads qstat -f queue instances', () => {
    const header = 'queuename                      qtype resv/used/tot. load_avg arch          states\n' + '-'.repeat(81) + '\n';
    expect(sgeUsable(header + 'all.q@vm                       BIP   0/0/8          0.34     lx-amd64      \n')).toBe(true);
    expect(sgeUsable(header + 'all.q@vm                       BIP   0/1/8          0.34     lx-amd64      a\n')).toBe(false);
    expect(sgeUsable(header + 'all.q@vm                       BIP   0/0/8          -NA-     lx-amd64      au\n')).toBe(false);
    expect(sgeUsable(header + 'all.q@vm                       BIP   0/0/8          0.10     lx-amd64      E\n')).toBe(false);
    expect(sgeUsable(header)).toBe(false);
  });
});
