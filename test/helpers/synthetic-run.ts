/**
 * A finished run of any size without running it: its journal and family
 * graph written as a runner would have, for the page tests and benchmarks.
 * Deterministic: task i of family i % families, measured (20 to 26 s of
 * wall time, 80% CPU), every `failEvery`-th failed with a message and a
 * stderr file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JournalEntry } from '../../src/journal/journal.js';
import { familyGraphFile, jobFilesIn, runDirAt } from '../../src/run/layout.js';

export interface SyntheticRun {
  readonly stateDir: string;
  readonly runId: string;
  readonly failed: number;
}

export interface SyntheticOptions {
  readonly tasks: number;
  readonly families?: readonly string[];
  readonly failEvery?: number;
  /** A value put in every task's parameters and every failure's message and stderr. */
  readonly text?: (i: number) => string;
  readonly runId?: string;
}

export const writeSyntheticRun = (root: string, options: SyntheticOptions): SyntheticRun => {
  const families = options.families ?? ['Simulate', 'Reconstruct', 'Analyse'];
  const failEvery = options.failEvery ?? 500;
  const stateDir = path.join(root, '.b2', 'runs');
  const runId = options.runId ?? '20260101-000000000-abcdef';
  const run = runDirAt(stateDir, runId);
  mkdirSync(run.tasks, { recursive: true });
  const t0 = Date.UTC(2026, 0, 1);
  const lines: string[] = [];
  const add = (t: number, entry: JournalEntry): void => void lines.push(JSON.stringify({ t, ...entry }));
  add(t0, { type: 'run-started', runId, pid: 999_999_999, host: os.hostname(), pipeline: path.join(root, 'pipeline.ts'), roots: [], mode: 'batch', tag: 'synthetic', total: options.tasks, toRun: options.tasks });
  let failed = 0;
  for (let i = 0; i < options.tasks; i++) {
    const family = families[i % families.length]!;
    const id = `${family}_${i}_${(i * 2654435761 >>> 0).toString(16)}`;
    const logDir = path.join(root, 'logs', id);
    const text = options.text?.(i);
    const start = t0 + 1000 + (i % 1000) * 50;
    add(start - 500, { type: 'task', id, family, params: { event_batch: i, ...(text === undefined ? {} : { label: text }) }, logDir });
    const submittedAt = start - 400;
    add(submittedAt, { type: 'submitted', id, attempt: 1, system: 'slurm', jobId: String(1000 + i) });
    const fails = (i + 1) % failEvery === 0;
    const endedAt = start + 20_000 + (i % 7) * 1000;
    const wallSeconds = (endedAt - start) / 1000;
    const measured = { attempt: 1, submittedAt, startedAt: start, endedAt, exitCode: fails ? 1 : 0, wallSeconds, cpuSeconds: wallSeconds * 0.8, maxRssMb: 500 + (i % 300), host: `wn${i % 40}`, requested: { cpus: 1, memoryMb: 2000 } };
    add(endedAt, { type: 'resources', id, measured });
    if (fails) {
      failed++;
      const message = text ?? `exit status ${1 + (i % 3)}: segmentation fault in event ${i}`;
      mkdirSync(logDir, { recursive: true });
      writeFileSync(jobFilesIn(logDir).stderr, `processing event ${i}\n${message}\n`);
      add(endedAt, { type: 'failed', id, attempt: 1, message, reason: 'exit', final: true, exitCode: 1 });
    } else add(endedAt, { type: 'succeeded', id, attempt: 1 });
  }
  add(t0 + 120_000, { type: 'run-finished', exitCode: failed ? 1 : 0 });
  writeFileSync(run.journal, `${lines.join('\n')}\n`);
  const counts = families.map((name, f) => ({ name, tasks: Math.floor(options.tasks / families.length) + (f < options.tasks % families.length ? 1 : 0), complete: 0 }));
  writeFileSync(familyGraphFile(run), JSON.stringify({ families: counts, edges: families.slice(1).map((_, f) => [f, f + 1]) }));
  return { stateDir, runId, failed };
};
