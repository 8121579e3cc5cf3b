/**
 * Pipelines with dynamic dependencies for end-to-end suites, and what their
 * runs leave: every run() notes itself in runs.log next to the pipeline, so
 * a test can count how often each task ran.
 */
import { expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runB2 } from './b2.js';
import { journalEntries, waitFor } from './runs.js';

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

export interface TakeoverDrill {
  /** A project with countedPipeline({ gated: true }). */
  readonly dir: string;
  /** The b2 command line (after node) that runs it in batch mode. */
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Each runner started, for the suite to kill if the test fails. */
  readonly track: (child: ChildProcess) => void;
  /** How long the first runner may take to submit the three pieces. */
  readonly submitWithinMs: number;
  /** How long the rerun is watched for a wrong submission of Merge. */
  readonly settleMs: number;
}

/**
 * A runner killed with SIGKILL while Merge waits for the three pieces it asked
 * for (held at the gate), then the same command again: the rerun resumes
 * Merge only after the pieces, and every task runs exactly once (Merge twice:
 * once to ask, once to finish).
 */
export const killWhileWaitingThenRerun = async (drill: TakeoverDrill): Promise<void> => {
  const { dir } = drill;
  const first = spawn(process.execPath, drill.argv, { cwd: dir, env: drill.env, stdio: 'ignore' });
  drill.track(first);
  const firstExit = new Promise((resolve) => first.on('exit', resolve));
  await waitFor(
    'the pieces submitted',
    () => journalEntries(dir).filter((entry) => entry.type === 'submitted' && entry.id.startsWith('Piece_')).length === 3,
    drill.submitWithinMs,
  );
  expect(journalEntries(dir).find((entry) => entry.type === 'requested')).toMatchObject({ restart: true });
  expect(runB2(['status'], { cwd: dir, env: drill.env }).stdout).toContain('Merge()  waiting for 3 dependencies');
  first.kill('SIGKILL');
  await firstExit;

  const rerun = spawn(process.execPath, drill.argv, { cwd: dir, env: drill.env, stdio: ['ignore', 'ignore', 'pipe'] });
  drill.track(rerun);
  let stderr = '';
  rerun.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const rerunExit = new Promise<number | null>((resolve) => rerun.on('exit', (code) => resolve(code)));
  // Long enough for the rerun to have submitted Merge, had it not known what Merge waits for.
  await waitFor('the rerun', () => journalEntries(dir).filter((entry) => entry.type === 'run-started').length === 2, 60_000);
  await new Promise((resolve) => setTimeout(resolve, drill.settleMs));
  expect(runCounts(dir).Merge).toBe(1);
  writeFileSync(path.join(dir, 'go'), '');
  expect(await rerunExit).toBe(0);
  expect(stderr).toContain('resuming');
  expect(readFileSync(path.join(dir, 'merged.txt'), 'utf8')).toBe('30');
  expect(runCounts(dir)).toEqual({ Count: 1, Merge: 2, 'Merge continues': 1, 'Piece 0': 1, 'Piece 1': 1, 'Piece 2': 1 });
};
