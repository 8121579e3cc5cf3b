/**
 * Pipelines with dynamic dependencies for end-to-end suites, and what their
 * runs leave: every run() notes itself in runs.log next to the pipeline, so
 * a test can count how often each task ran.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** examples/dynamic.ts as shipped. */
export const examplePipeline = (): string => readFileSync(path.join(ROOT, 'examples', 'dynamic.ts'), 'utf8');

/**
 * Merge reads how many pieces Count wrote (3), then requires one Piece per
 * count. With `gated`, each Piece waits until the file `go` exists next to
 * the pipeline. `body` replaces Merge's request (for failures and loops).
 */
export const countedPipeline = (options: { gated?: boolean; request?: string; extra?: string } = {}): string => `
  import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
  import { Task, param } from 'b2';
  const note = (what: string) => appendFileSync(new URL('./runs.log', import.meta.url), what + '\\n');
  export class Count extends Task {
    *output() { yield this.addToOutput('count.txt'); }
    run() { note('Count'); writeFileSync(this.getOutputFileName('count.txt'), '3'); }
  }
  export class Piece extends Task.with({ k: param.int() }) {
    *output() { yield this.addToOutput('piece.txt'); }
    async run() {
      note('Piece ' + this.k);
      ${options.gated ? "while (!existsSync(new URL('./go', import.meta.url))) await new Promise((resolve) => setTimeout(resolve, 200));" : ''}
      writeFileSync(this.getOutputFileName('piece.txt'), String(this.k * 10));
    }
  }
  export class Merge extends Task {
    requires() { return new Count(); }
    *output() { yield this.addToOutput('merged.txt'); }
    async run() {
      note('Merge');
      const n = Number(readFileSync(this.getInputFileName('count.txt'), 'utf8'));
      const pieces = ${options.request ?? 'await this.require(Array.from({ length: n }, (_, k) => new Piece({ k })))'};
      note('Merge continues');
      const sum = pieces.map((piece: Piece) => Number(readFileSync(piece.getOutputFileName('piece.txt'), 'utf8'))).reduce((a: number, b: number) => a + b, 0);
      writeFileSync(this.getOutputFileName('merged.txt'), String(sum));
    }
  }
  ${options.extra ?? ''}
  export default new Merge();`;

/** The lines of runs.log: one per run() call. */
export const runsLog = (dir: string): string[] => {
  const file = path.join(dir, 'runs.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

/** How often each line appears in runs.log. */
export const runCounts = (dir: string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const line of runsLog(dir)) counts[line] = (counts[line] ?? 0) + 1;
  return counts;
};
