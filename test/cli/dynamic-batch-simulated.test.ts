/**
 * Dynamic dependencies in batch mode, on the HTCondor and LSF simulators:
 * the requester's job ends with the "needs dependencies" status, the runner
 * makes what it asked for and submits it again; a runner killed while a task
 * waits is taken over without running anything twice.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeCluster } from '../fakes/lib/index.mjs';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { B2_BIN, makeProject, runB2 } from '../helpers/b2.js';
import { journalEntries, waitFor } from '../helpers/runs.js';
import { countedPipeline, examplePipeline, killWhileWaitingThenRerun, runCounts } from '../helpers/dynamic.js';
import { NEEDS_DEPENDENCIES_STATUS } from '../../src/pipeline/dynamic.js';
import { withCanary } from '../helpers/hostile-values.js';
import { existsSync } from 'node:fs';

const SYSTEMS = ['htcondor', 'lsf'] as const;
const cluster = useFakeClusters();

let children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children = [];
});

describe.each(SYSTEMS)('dynamic dependencies on the %s simulator', (system) => {
  const args = (extra: string[] = []): string[] => ['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '20', '--no-progress', ...FAST, ...extra];
  const run = (dir: string, fake: FakeCluster, extra: string[] = []) => runB2(args(extra), { cwd: dir, env: fake.env });

  it('runs the example: the requester ends, its files are processed, it is resubmitted and finishes', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': examplePipeline() });
    // retries=0: the restart is no failed attempt.
    const result = run(dir, fake, ['MergeFiles', '--files', '3', '--setting', 'retries=0']);
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'results', 'files=3', 'merged.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    const merge = journalEntries(dir).filter((entry) => 'id' in entry && entry.id.startsWith('MergeFiles_'));
    expect(merge.filter((entry) => entry.type === 'submitted')).toHaveLength(2);
    expect(merge.filter((entry) => entry.type === 'requested')).toEqual([expect.objectContaining({ restart: true, added: 3, attempt: 1 })]);
    expect(merge.filter((entry) => entry.type === 'failed')).toEqual([]);
    expect(merge.at(-1)).toMatchObject({ type: 'succeeded', attempt: 2 });
    // 1 + 1 + 3 + the second MergeFiles job.
    expect(fake.jobs()).toHaveLength(6);
    const log = path.join(dir, 'logs', 'files=3', 'MergeFiles');
    expect(readFileSync(path.join(log, 'exit_status'), 'utf8').trim()).toBe('0');

    const yielded = run(dir, fake, ['MergeFilesYielding', '--files', '4']);
    expect({ code: yielded.code, output: yielded.output }).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'results', 'files=4', 'merged-yielding.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  }, 240_000);

  it('a failed requested task leaves the requester not run, and a loop is bad input', () => {
    const fake = cluster();
    const dir = makeProject({
      'pipeline.ts': countedPipeline({
        request: 'await this.require([new Piece({ k: 0 }), new Broken()])',
        extra: "export class Broken extends Task { *output() { yield this.addToOutput('broken.txt'); } run() { throw new Error('broken on purpose'); } }",
      }),
    });
    const failed = run(dir, fake);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('failed: Broken()');
    expect(failed.stdout).toMatch(/Merge\s+0\s+0\s+0\s+1/);

    const loop = makeProject({ 'pipeline.ts': countedPipeline({ request: 'await this.require(new Merge())' }) });
    const result = run(loop, fake, ['--setting', 'retries=2']);
    expect(result.code).toBe(2);
    expect(result.output).toContain('Merge() asked at run time for a task that needs it: Merge() -> Merge()');
    expect(runCounts(loop).Merge).toBe(1);
  }, 240_000);
});

describe.each(SYSTEMS)('hostile parameter values of requested tasks on the %s simulator', (system) => {
  it('reach the requested tasks\' jobs as data, through the request and their job command lines', () => {
    const fake = cluster();
    const dir = makeProject({
      'pipeline.ts': `
        import { readFileSync, writeFileSync } from 'node:fs';
        import { Task, param } from 'b2';
        export class Echo extends Task.with({ value: param.string({ hashed: true }) }) {
          *output() { yield this.addToOutput('echo.json'); }
          run() { writeFileSync(this.getOutputFileName('echo.json'), JSON.stringify(this.value)); }
        }
        export class Collect extends Task {
          *output() { yield this.addToOutput('collected.json'); }
          async run() {
            const values: string[] = JSON.parse(readFileSync(new URL('./values.json', import.meta.url), 'utf8'));
            const echoes = await this.require(values.map((value) => new Echo({ value })));
            writeFileSync(this.getOutputFileName('collected.json'), JSON.stringify(echoes.map((echo) => JSON.parse(readFileSync(echo.getOutputFileName('echo.json'), 'utf8')))));
          }
        }
        export default new Collect();`,
    });
    const canary = path.join(dir, 'canary');
    const values = withCanary(canary, 40);
    writeFileSync(path.join(dir, 'values.json'), JSON.stringify(values));
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '50', '--no-progress', ...FAST], { cwd: dir, env: fake.env });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    expect(JSON.parse(readFileSync(path.join(dir, 'collected.json'), 'utf8'))).toEqual(values);
    expect(existsSync(canary)).toBe(false);
  }, 300_000);
});

describe('a runner killed while a task waits for its dynamic dependencies', () => {
  it('is taken over: the dependencies and then the requester run, each exactly once', async () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': countedPipeline({ gated: true }) });
    const command = [B2_BIN, 'run', 'pipeline.ts', '--batch', '--batch-system', 'htcondor', '--workers', '20', '--no-progress', ...FAST];
    await killWhileWaitingThenRerun({
      dir,
      argv: command,
      env: { ...process.env, ...fake.env, NO_COLOR: '1' },
      track: (child) => children.push(child),
      submitWithinMs: 120_000,
      settleMs: 4000,
    });
    // Count, Merge twice, three pieces: the pieces' jobs were adopted, not submitted again.
    expect(fake.jobs()).toHaveLength(6);
  }, 300_000);
});

it('the needs-dependencies status is none that a batch system or shell treats specially', () => {
  expect(NEEDS_DEPENDENCIES_STATUS).toBeLessThan(128);
  expect([0, 1, 2, 99, 100, 126, 127]).not.toContain(NEEDS_DEPENDENCIES_STATUS);
  expect(NEEDS_DEPENDENCIES_STATUS < 64 || NEEDS_DEPENDENCIES_STATUS > 78).toBe(true);
});
