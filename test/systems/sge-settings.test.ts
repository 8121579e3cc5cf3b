/**
 * The settings of Grid Engine alone reach qsub, on a real Grid Engine: the
 * parallel environment a multi-core job asks for (sites name theirs), given
 * by `sge_parallel_environment`, with the system named by its alias `uge`.
 */
import { afterEach, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describeIfSge } from '../helpers/clusters.js';
import { makeProject, runB2 } from '../helpers/b2.js';
import { journaledJobs } from '../helpers/runs.js';

const PIPELINE = `
  import { writeFileSync } from 'node:fs';
  import { Task } from 'b2';
  export class Small extends Task {
    *output() { yield this.addToOutput('done.txt'); }
    run() { writeFileSync(this.getOutputFileName('done.txt'), 'ok'); }
  }
  export default new Small();`;

describeIfSge('Grid Engine settings on a real Grid Engine', () => {
  let dir: string;
  afterEach(() => {
    const ids = journaledJobs(dir).map((job) => job.jobId);
    if (ids.length > 0) spawnSync('qdel', ids);
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the parallel environment sge_parallel_environment names, with the system called uge', () => {
    dir = makeProject({ 'pipeline.ts': PIPELINE });
    const result = runB2(
      ['run', 'pipeline.ts', '--batch', '--batch-system', 'uge', '--setting', 'cpus=2', '--setting', 'sge_parallel_environment=b2_no_such_pe', '--setting', 'poll_interval=0.5'],
      { cwd: dir, timeoutMs: 120_000 },
    );
    // This cluster has only "smp": qsub itself names the one b2 asked for.
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the requested parallel environment "b2_no_such_pe" does not exist');
  }, 150_000);
});
