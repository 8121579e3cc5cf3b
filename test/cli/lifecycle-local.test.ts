/**
 * The end of a run as the journal tells it, for runs on this machine: a
 * `--test` task that calls process.exit fails alone and leaves nothing in
 * flight.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeProject, runB2 } from '../helpers/b2.js';

const exitingPipeline = `
  import { writeFileSync } from 'node:fs';
  import { Task, WrapperTask, param } from 'b2';
  export class Piece extends Task.with({ k: param.int() }) {
    *output() { yield this.addToOutput('piece.txt'); }
    run() {
      if (this.k === 1) process.exit(3);
      writeFileSync(this.getOutputFileName('piece.txt'), String(this.k));
    }
  }
  export class All extends WrapperTask {
    *requires() { for (let k = 0; k < 3; k++) yield new Piece({ k }); }
  }
  export default new All();`;

interface StatusJson {
  runner: { kind: string };
  counts: Record<string, number>;
  tasks: { id: string; phase: string; message?: string }[];
}

describe('--test', () => {
  it('a task that calls process.exit fails alone: the others run, the run ends, nothing stays in flight', () => {
    const dir = makeProject({ 'pipeline.ts': exitingPipeline });
    const result = runB2(['run', 'pipeline.ts', '--test'], { cwd: dir });
    expect({ code: result.code, output: result.output }).toMatchObject({ code: 1 });
    expect(result.stdout).toContain('failed: Piece(k=1)');
    expect(result.stdout).toContain('process.exit(3)');
    expect(existsSync(path.join(dir, 'k=0', 'piece.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'k=2', 'piece.txt'))).toBe(true);
    const status = JSON.parse(runB2(['status', '--json'], { cwd: dir }).stdout) as StatusJson;
    expect(status.runner.kind).toBe('finished');
    expect(status.counts).toMatchObject({ running: 0, succeeded: 2, failed: 1, 'not-run': 1 });
  });
});
