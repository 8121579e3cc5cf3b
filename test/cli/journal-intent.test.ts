/**
 * The journal's promise to a crashed runner's successor: a submission's
 * intent is on disk before its submit command runs. A submit command that
 * reads the journal as it starts must find an intent no entry has answered.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FAST, useFakeClusters } from '../helpers/simulators.js';
import { averagePipeline, makeProject, runB2 } from '../helpers/b2.js';

// Counts the run's intents not yet answered by a job id or a failure, then runs the real command.
const CHECKING_SUBMIT = `#!/bin/bash
real=$1; log=$2; runs=$3; shift 3
journal=$(find "$runs" -name journal.jsonl | head -n 1)
count() { if [ -n "$journal" ]; then grep -c "\\"type\\":\\"$1\\"" "$journal"; else echo 0; fi; }
echo "$(( $(count submit-intent) - $(count submitted) - $(count submit-failed) ))" >> "$log"
exec "$real" "$@"
`;

const cluster = useFakeClusters();

describe.each([
  { system: 'htcondor', submit: 'condor_submit', commands: 2 },
  // LSF: the ten leaves go out as one array, then the average.
  { system: 'lsf', submit: 'bsub', commands: 2 },
])('on the $system simulator', ({ system, submit, commands }) => {
  it('the journal holds the intent of every submission when its submit command starts', () => {
    const fake = cluster();
    const dir = makeProject({ 'pipeline.ts': averagePipeline(), 'checking-submit.sh': CHECKING_SUBMIT });
    const log = path.join(dir, 'pending-intents.log');
    const batchCommands = JSON.stringify({ [submit]: ['bash', path.join(dir, 'checking-submit.sh'), submit, log, path.join(dir, '.b2', 'runs')] });
    const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', system, '--workers', '200', ...FAST, '--setting', `batch_commands=${batchCommands}`], {
      cwd: dir,
      env: fake.env,
    });
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
    const pending = readFileSync(log, 'utf8').trim().split('\n').map(Number);
    expect(pending).toHaveLength(commands);
    for (const count of pending) expect(count).toBeGreaterThanOrEqual(1);
  });
});
