// Shared helpers for the simulators' own tests: run a fake command with a
// cluster's environment and capture both streams and the exit status.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FakeCluster } from './lib/index.mjs';

export interface Result {
  stdout: string;
  stderr: string;
  status: number | null;
}

export interface RunOptions {
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Run one simulated command synchronously. */
export function run(cluster: FakeCluster, cmd: string, args: string[] = [], opts: RunOptions = {}): Result {
  const r = spawnSync(path.join(cluster.binDir, cmd), args, {
    cwd: opts.cwd ?? cluster.dir,
    env: { ...cluster.env, ...opts.env },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 120_000, // generous: CI machines can be heavily loaded
  });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Run one simulated command without blocking the event loop (for concurrency tests). */
export function runAsync(cluster: FakeCluster, cmd: string, args: string[] = [], opts: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(cluster.binDir, cmd), args, {
      cwd: opts.cwd ?? cluster.dir,
      env: { ...cluster.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ stdout, stderr, status }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Write an executable script into the cluster's folder and return its path. */
export function script(cluster: FakeCluster, name: string, body: string): string {
  const file = path.join(cluster.dir, name);
  fs.writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  return file;
}

/** Write a plain file into the cluster's folder and return its path. */
export function file(cluster: FakeCluster, name: string, text: string): string {
  const f = path.join(cluster.dir, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
}

export const read = (cluster: FakeCluster, name: string): string => fs.readFileSync(path.join(cluster.dir, name), 'utf8');

/** True while a live (non-zombie) process is in process group `pgid` (zombies wait for a reaper, not for us). */
export function groupAlive(pgid: number): boolean {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) return true;
  }
  return false;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until fn returns a truthy value. */
export async function until<T>(fn: () => T | undefined | null | false, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
