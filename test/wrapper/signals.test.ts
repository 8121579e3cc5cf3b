/**
 * Signals as batch systems send them: to the wrapper alone (HTCondor's first
 * SIGTERM), to the whole process group (Slurm, LSF), or SIGKILL (Grid Engine's
 * qdel, every system's last resort). With SIGKILL no trap can run, so no exit
 * status is recorded and the runner has to rely on the queue's account.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exited, nodeCommand, waitFor, WrapperFixture } from './fixture.js';

let fx: WrapperFixture;
let readyFile: string;
beforeEach(() => {
  fx = new WrapperFixture();
  readyFile = path.join(fx.root, 'task.pid');
});
afterEach(() => {
  // A task orphaned by SIGKILL must not outlive the test.
  if (existsSync(readyFile)) {
    try {
      process.kill(Number(readFileSync(readyFile, 'utf8')), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fx.cleanup();
});

// A task that writes its pid once it runs, then waits (optionally handling SIGTERM itself).
const waitingTask = (onTerm = ''): string[] =>
  nodeCommand(
    `${onTerm}require('fs').writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 30000);`,
    readyFile,
  );

const taskPid = (): number => Number(readFileSync(readyFile, 'utf8'));
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('job wrapper: signals', () => {
  it('passes SIGTERM sent to the wrapper alone on to the task and records 143', async () => {
    const job = fx.start(waitingTask());
    await waitFor(() => existsSync(readyFile));
    process.kill(job.pid ?? 0, 'SIGTERM');
    expect(await exited(job)).toEqual({ code: 143, signal: null });
    expect(fx.status()).toBe('143\n');
    expect(isAlive(taskPid())).toBe(false);
  });

  it('records 143 when the whole process group gets SIGTERM', async () => {
    const job = fx.start(waitingTask());
    await waitFor(() => existsSync(readyFile));
    process.kill(-(job.pid ?? 0), 'SIGTERM');
    expect(await exited(job)).toEqual({ code: 143, signal: null });
    expect(fx.status()).toBe('143\n');
  });

  it("records the task's own status when the task handles the signal", async () => {
    const job = fx.start(waitingTask("process.on('SIGTERM', () => process.exit(0)); "));
    await waitFor(() => existsSync(readyFile));
    process.kill(job.pid ?? 0, 'SIGTERM');
    expect(await exited(job)).toEqual({ code: 0, signal: null });
    expect(fx.status()).toBe('0\n');
  });

  it('ends as 128+n without running the command when signalled during setup', async () => {
    const script = path.join(fx.root, 'setup.sh');
    const inSetup = path.join(fx.root, 'in-setup');
    // Setup that takes as long as it has to: up to 10 s, until the signal arrives.
    writeFileSync(script, `: > '${inSetup}'\nfor i in $(seq 200); do sleep 0.05; done\n`);
    const job = fx.start(waitingTask(), { envScript: script });
    await waitFor(() => existsSync(inSetup));
    process.kill(job.pid ?? 0, 'SIGUSR1');
    expect(await exited(job)).toEqual({ code: 138, signal: null });
    expect(fx.status()).toBe('138\n');
    expect(existsSync(readyFile)).toBe(false);
  });

  it('records nothing when the wrapper is killed with SIGKILL: only the queue knows', async () => {
    const job = fx.start(waitingTask());
    await waitFor(() => existsSync(readyFile));
    process.kill(job.pid ?? 0, 'SIGKILL');
    expect(await exited(job)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(fx.status()).toBeUndefined();
  });
});
