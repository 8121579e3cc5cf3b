/**
 * A job may inherit POSIXLY_CORRECT from the submit host (HTCondor getenv,
 * LSF -env all, Slurm --export=ALL) or from the env script; bash then runs the
 * wrapper in POSIX mode. The wrapper must record the command's status there
 * too, and leave the variable for the command to see.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exited, nodeCommand, waitFor, WrapperFixture } from './fixture.js';

const POSIX = { ...process.env, POSIXLY_CORRECT: '1' };

let fx: WrapperFixture;
beforeEach(() => {
  fx = new WrapperFixture();
});
afterEach(() => fx.cleanup());

describe('job wrapper under an inherited POSIXLY_CORRECT', () => {
  it.each([0, 3, 127])('records exit status %i', (status) => {
    const out = fx.run(['bash', '-c', `exit ${status}`], {}, undefined, POSIX);
    expect(out.stderr).toBe('');
    expect(fx.status()).toBe(`${status}\n`);
    expect(out.code).toBe(status);
  });

  it('leaves POSIXLY_CORRECT in the environment the command sees', () => {
    const out = fx.run(nodeCommand('console.log("SEEN=" + process.env.POSIXLY_CORRECT)'), {}, undefined, POSIX);
    expect(out.stdout).toContain('SEEN=1\n');
    expect(fx.status()).toBe('0\n');
  });

  it('records the status when the env script turns POSIX mode on', () => {
    const script = path.join(fx.root, 'setup.sh');
    writeFileSync(script, 'set -o posix\n');
    const out = fx.run(['bash', '-c', 'exit 4'], { envScript: script });
    expect(fx.status()).toBe('4\n');
    expect(out.code).toBe(4);
  });

  it('passes SIGTERM on to the command and records its own status', async () => {
    const ready = path.join(fx.root, 'task.pid');
    const job = fx.start(
      nodeCommand(`process.on('SIGTERM', () => process.exit(5)); require('fs').writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 30000);`, ready),
      {},
      POSIX,
    );
    await waitFor(() => existsSync(ready));
    process.kill(job.pid ?? 0, 'SIGTERM');
    expect(await exited(job)).toEqual({ code: 5, signal: null });
    expect(readFileSync(fx.statusFile, 'utf8')).toBe('5\n');
  });
});
