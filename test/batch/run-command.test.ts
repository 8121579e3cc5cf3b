/**
 * runCommand: a command runs out of the runner's process group (Ctrl-C in a
 * terminal signals that whole group), and its timeout ends the command's
 * whole group, not only its first process.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resetSchedulerCalls, runCommand, schedulerCalls } from '../../src/batch/run-command.js';
import { resetSettings, setSetting } from '../../src/settings/index.js';

const groupOf = (pid: number): number => Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim());

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('runCommand', () => {
  it('runs a command in a process group of its own, which a signal to the runner’s group does not reach', async () => {
    const result = await runCommand({ argv: ['bash', '-c', 'ps -o pgid= -p $$'] }, 10_000);
    expect(result.exitCode).toBe(0);
    const group = Number(result.stdout.trim());
    expect(group).toBeGreaterThan(0);
    expect(group).not.toBe(groupOf(process.pid));
  });

  it('ends the whole group of a command that times out, and says it timed out', async () => {
    const started = Date.now();
    // The shell starts a long sleep that keeps its output open, then waits for it.
    const result = await runCommand({ argv: ['bash', '-c', 'sleep 30 & echo $!; wait'] }, 1000);
    expect(result.timedOut).toBe(true);
    expect(result.startError).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(10_000);
    const sleeper = Number(result.stdout.trim());
    for (let waited = 0; waited < 5000 && alive(sleeper); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(sleeper)).toBe(false);
  }, 30_000);

  it('does not call a command killed by a signal one that could not start', async () => {
    const result = await runCommand({ argv: ['bash', '-c', 'kill -TERM $$'] }, 10_000);
    expect(result.startError).toBeUndefined();
    expect(result.exitCode).not.toBe(0);
  });
});

describe('protecting the scheduler', () => {
  // Stand-ins named like the real tools: only the name decides the bucket.
  const fakeTools = (): { dir: string; tool: (name: string) => string } => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-tools-'));
    return {
      dir,
      tool: (name) => {
        const file = path.join(dir, name);
        writeFileSync(file, '#!/bin/sh\necho ok\n');
        chmodSync(file, 0o755);
        return file;
      },
    };
  };

  it('spaces submit commands by submit_rate once submit_burst is spent, counts each call, and lets kills through', async () => {
    resetSettings();
    resetSchedulerCalls();
    setSetting('submit_rate', 4);
    setSetting('submit_burst', 1);
    const { dir, tool } = fakeTools();
    try {
      const sbatch = tool('sbatch');
      const scancel = tool('scancel');
      const started = Date.now();
      await Promise.all([1, 2, 3].map(() => runCommand({ argv: [sbatch] }, 10_000)));
      expect(Date.now() - started).toBeGreaterThanOrEqual(450); // 0, 250, 500 ms
      const killStart = Date.now();
      await Promise.all([1, 2, 3].map(() => runCommand({ argv: [scancel, '1'] }, 10_000)));
      expect(Date.now() - killStart).toBeLessThan(5000);
      expect(schedulerCalls()).toEqual({ sbatch: 3, scancel: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      resetSettings();
    }
  }, 30_000);

  it('limits queries by their own bucket, apart from submissions', async () => {
    resetSettings();
    resetSchedulerCalls();
    setSetting('query_rate', 5);
    setSetting('query_burst', 2);
    setSetting('submit_rate', 0);
    const { dir, tool } = fakeTools();
    try {
      const squeue = tool('squeue');
      const sacct = tool('sacct');
      const sbatch = tool('sbatch');
      const started = Date.now();
      await Promise.all([runCommand({ argv: [squeue] }, 10_000), runCommand({ argv: [sacct] }, 10_000), runCommand({ argv: [squeue] }, 10_000)]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(180); // the third waits 200 ms
      const submitStart = Date.now();
      await Promise.all([1, 2, 3, 4].map(() => runCommand({ argv: [sbatch] }, 10_000)));
      expect(Date.now() - submitStart).toBeLessThan(5000);
      expect(schedulerCalls()).toEqual({ squeue: 2, sacct: 1, sbatch: 4 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      resetSettings();
    }
  }, 30_000);
});
