/** The state folder's lock: waited for while its holder lives, taken over when the holder is gone. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withStateDirLock } from '../../src/journal/lock.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const stateDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-lock-'));
  made.push(dir);
  return dir;
};

/** A pid that was a process a moment ago and is none now. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('state folder lock', () => {
  it('names its holder while held, and is gone after', async () => {
    const dir = stateDir();
    const lock = path.join(dir, '.lock');
    const seen = await withStateDirLock(dir, () => readFileSync(lock, 'utf8'));
    expect(seen).toBe(`${process.pid} ${os.hostname()}\n`);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over at once from a holder on this host that died', async () => {
    const dir = stateDir();
    writeFileSync(path.join(dir, '.lock'), `${deadPid()} ${os.hostname()}\n`);
    const started = Date.now();
    expect(await withStateDirLock(dir, () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('takes over an unnamed lock only once it is old', async () => {
    const dir = stateDir();
    const lock = path.join(dir, '.lock');
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(await withStateDirLock(dir, () => 'mine')).toBe('mine');
  });

  it('waits for a live holder, saying who it is, and goes ahead when it is done', async () => {
    const dir = stateDir();
    const lock = path.join(dir, '.lock');
    writeFileSync(lock, `${process.pid} ${os.hostname()}\n`);
    const heard: string[] = [];
    let ran = false;
    const waiting = withStateDirLock(dir, () => (ran = true), { onWait: (message) => heard.push(message) });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(ran).toBe(false);
    expect(heard).toEqual([`the state folder lock ${lock} is held by pid ${process.pid} on ${os.hostname()}: another b2 is starting a run`]);
    rmSync(lock);
    await waiting;
    expect(ran).toBe(true);
  });
});
