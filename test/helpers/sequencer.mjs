/**
 * Order of the test files. Jest orders by the durations of the last run; a
 * fresh clone (CI) has none, and jest falls back to file size, which puts the
 * longest suites (small files whose tests live in helpers) last, where they
 * leave one worker idle and overlap with the wrapper test on the same batch
 * system. So: the long suites first, the wrapper test on the real systems last,
 * the rest as jest would have it.
 */
import Sequencer from '@jest/test-sequencer';

const FIRST = ['cli/batch-sge.test.ts', 'cli/batch-slurm.test.ts', 'cli/batch-simulated.test.ts', 'cli/journal-batch.test.ts'];
const LAST = ['wrapper/batch.test.ts'];

const rank = (path) => {
  const first = FIRST.findIndex((end) => path.endsWith(end));
  if (first >= 0) return first - FIRST.length;
  return LAST.some((end) => path.endsWith(end)) ? 1 : 0;
};

export default class LongestFirst extends Sequencer {
  sort(tests) {
    const byJest = super.sort(tests);
    const position = new Map(byJest.map((test, index) => [test, index]));
    return [...byJest].sort((a, b) => rank(a.path) - rank(b.path) || position.get(a) - position.get(b));
  }
}
