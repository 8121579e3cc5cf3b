import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireClusterLock, clusterRequired, decideSuite, releaseClusterLock, sgeUsable, slurmUsable } from './clusters.js';

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

describe('cluster lock', () => {
  const withDir = async (body: (lock: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'b2-lock-test-'));
    try {
      await body(join(dir, 'slurm.lock'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('lets one holder in at a time', () =>
    withDir(async (lock) => {
      await acquireClusterLock(lock, 1000);
      await expect(acquireClusterLock(lock, 600)).rejects.toThrow(/held .*slurm\.lock for over 1 s/);
      releaseClusterLock(lock);
      expect(existsSync(lock)).toBe(false);
      await acquireClusterLock(lock, 1000);
      releaseClusterLock(lock);
    }));

  it('takes over a lock whose holder is gone', () =>
    withDir(async (lock) => {
      const gone = spawnSync('true').pid;
      await acquireClusterLock(lock, 1000);
      writeFileSync(join(lock, 'owner'), String(gone));
      await acquireClusterLock(lock, 1000);
      releaseClusterLock(lock);
    }));
});
