/**
 * runCommand: a command runs out of the runner's process group (Ctrl-C in a
 * terminal signals that whole group), and its timeout ends the command's
 * whole group, not only its first process.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { runCommand } from '../../src/batch/run-command.js';

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
