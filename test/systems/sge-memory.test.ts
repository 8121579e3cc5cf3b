/**
 * `memory` on Grid Engine. h_vmem is an address-space limit (setrlimit), and
 * Node, which reserves far more address space than it uses, dies at start-up
 * under a few hundred MB of it (V8: "Fatal process OOM in Failed to reserve
 * virtual memory", then SIGTRAP). b2 asks for mem_free unless
 * sge_memory_resource says otherwise, and reports such a death as a memory
 * limit, not as a signal.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { explainSgeExit } from '../../src/systems/sge.js';
import { describeIfSge } from '../helpers/clusters.js';
import { makeProject, runB2 } from '../helpers/b2.js';
import { journaledJobs } from '../helpers/runs.js';
import { jobSpec } from './helpers.js';

// What V8 printed in such a job on this machine's Grid Engine (memory 300, h_vmem).
const V8_AT_START = '\n#\n# Fatal process OOM in Failed to reserve virtual memory for CodeRange\n#\n\nexecutable_wrapper.sh: line 108:  2261 Trace/breakpoint trap   (core dumped)\n';

describe('a job that dies under an address-space limit', () => {
  const underVmem = jobSpec({ resources: { cpus: 2, memoryMb: 600 }, systemOptions: { sge_memory_resource: 'h_vmem' } });

  it('is reported as exceeding its memory limit when killed by SIGTRAP or when V8 says it ran out of memory', () => {
    for (const [status, stderr] of [
      [133, ''],
      [133, V8_AT_START],
      [134, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
      [1, V8_AT_START],
    ] as const) {
      const message = explainSgeExit(underVmem, status, stderr);
      expect(message).toMatch(/^the job exceeded its memory limit \(h_vmem=300M\): /);
      expect(message).toContain('sge_memory_resource');
    }
  });

  it('is judged as before when the job has no such limit or died otherwise', () => {
    expect(explainSgeExit(jobSpec({ resources: { memoryMb: 300 } }), 133, V8_AT_START)).toBeUndefined();
    expect(explainSgeExit(underVmem, 137, 'Killed')).toBeUndefined();
    expect(explainSgeExit(underVmem, 1, 'Error: some_parameter 3 is not allowed')).toBeUndefined();
  });
});

const PIPELINE = `
  import { writeFileSync } from 'node:fs';
  import { Task } from 'b2';
  export class Small extends Task {
    *output() { yield this.addToOutput('done.txt'); }
    run() { writeFileSync(this.getOutputFileName('done.txt'), 'ok'); }
  }
  export default new Small();`;

describeIfSge('memory on a real Grid Engine', () => {
  let dir: string;
  afterEach(() => {
    const ids = journaledJobs(dir).map((job) => job.jobId);
    if (ids.length > 0) spawnSync('qdel', ids);
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (...settings: string[]) =>
    runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'sge', '--setting', 'poll_interval=0.5', ...settings.flatMap((s) => ['--setting', s])], {
      cwd: dir,
      timeoutMs: 120_000,
    });

  it('runs a Node task with memory 300 (asked for as mem_free)', () => {
    dir = makeProject({ 'pipeline.ts': PIPELINE });
    const result = run('memory=300');
    if (result.code !== 0) throw new Error(`b2 exited with ${result.code}:\n${result.output}`);
  }, 150_000);

  it('reports a Node task that cannot start under h_vmem=300M as exceeding its memory limit', () => {
    dir = makeProject({ 'pipeline.ts': PIPELINE });
    const result = run('memory=300', 'sge_memory_resource=h_vmem');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('error:   the job exceeded its memory limit (h_vmem=300M)');
    expect(result.stdout).not.toContain('killed by signal');
  }, 150_000);
});
