/**
 * Hostile values against qsub's own reader. A `#$` line ends at `#`, and
 * Grid Engine expands $HOME, $JOB_ID, $USER, ... in -o, -e and -wd paths,
 * so b2 passes every option as one argv element with `-C ''` (qsub reads no
 * option line from the script), gives Grid Engine paths that carry no value
 * (/dev/null for its own streams, / to start in) and has the bash script,
 * with bash quoting, open the task's log files and exec its wrapper.
 *
 * - Pure, no daemon: all 3000 values of the corpus through the adapter, in the
 *   job name, the run tag, the queue and every path at once.
 * - Real `qsub -verify` (about 25 ms a call, nothing is submitted): 400 of
 *   them, one call each, whose parsed job must be exactly what b2 asked for;
 *   plus real jobs whose parameters hold `$HOME`, `a#b`, `a#c`, `$JOB_ID`
 *   and quotes.
 * A canary file that a value would create if it ever ran must never appear.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSgeAdapter, sgeJobName } from '../../src/systems/sge.js';
import type { JobSpec } from '../../src/systems/contract.js';
import { describeIfSge } from '../helpers/clusters.js';
import { leavesPipeline, makeProject, runB2 } from '../helpers/b2.js';
import { readJournal } from '../../src/journal/journal.js';
import { listRunIds, runDirAt } from '../../src/journal/run-dir.js';
import { journaledJobs } from '../helpers/runs.js';
import { withCanary } from '../helpers/hostile-values.js';
import { bin, jobSpec, thrownBy } from './helpers.js';

const PURE_COUNT = 3000;
const REAL_COUNT = 400;

const root = mkdtempSync(path.join(os.tmpdir(), 'b2-sge-reader-'));
const canary = path.join(root, 'canary');
afterAll(() => {
  expect(existsSync(canary)).toBe(false);
  rmSync(root, { recursive: true, force: true });
});

// Values that can reach a job: one without line breaks (b2 refuses those in anything it submits).
const submittable = (values: readonly string[]): string[] => values.filter((value) => !/[\n\r]/.test(value));

// A blank queue name is refused before it reaches qsub (test/batch/resources.test.ts).
const queueFor = (value: string): string => (value.trim() === '' ? 'all.q' : value);

/** A job carrying the value wherever a value can reach qsub. */
const hostileJob = (value: string, dir: string): JobSpec =>
  jobSpec({
    jobName: value,
    runTag: value,
    taskFileDir: dir,
    wrapperPath: `${dir}/${value}/job_wrapper.sh`,
    stdoutPath: `${dir}/logs/${value}/stdout`,
    stderrPath: `${dir}/logs/${value}/stderr`,
    workingDir: `${dir}/work/${value}`,
    resources: { queue: queueFor(value) },
  });

const adapter = createSgeAdapter();

/** Every argv element of the submit command that is not one of b2's own fixed words. */
const GENERATED = ['qsub', '-terse', '-C', '', '-N', '-o', '/dev/null', '-e', '/dev/null', '-wd', '/', '-S', '/bin/bash', '-q'];

describe('Grid Engine submission of hostile values (no daemon)', () => {
  const values = submittable(withCanary(canary, PURE_COUNT));

  it(`puts each of ${PURE_COUNT} values into at most one argv element and none into a line qsub reads`, () => {
    const dir = '/data/tasks';
    for (const value of values) {
      const job = hostileJob(value, dir);
      const argv = adapter.submitCommand(job, bin).argv;
      const [script] = adapter.submitFiles(job);
      expect(argv).toEqual([...GENERATED.slice(0, 5), sgeJobName(value, '0123456789ab', value), ...GENERATED.slice(5), queueFor(value), script!.path]);
      expect(script!.content).not.toMatch(/^#\$/m);
    }
  });

  it('refuses the values with a line break, which no submit file or command comment can hold, as bad input', () => {
    const refused = withCanary(canary, PURE_COUNT).filter((value) => /[\n\r]/.test(value));
    expect(refused.length).toBeGreaterThan(0);
    for (const value of refused) {
      const job = hostileJob(value, '/data/tasks');
      expect(thrownBy(() => adapter.submitCommand(job, bin)).reason).toBe('bad-batch-settings');
      expect(thrownBy(() => adapter.submitFiles(job)).reason).toBe('bad-batch-settings');
    }
  });
});

/** The job `qsub -verify` parsed: its fields but the script's own text, which follows script_ptr. */
const verifiedJob = (stdout: string): Map<string, string> => {
  const fields = new Map<string, string>();
  let inScript = false;
  for (const line of stdout.split('\n')) {
    const match = /^([a-z_ ]+):\s*(.*)$/i.exec(line);
    if (line.startsWith('script_ptr:')) inScript = true;
    else if (line.startsWith('job_type:')) inScript = false;
    if (inScript || match === null) continue;
    fields.set(match[1]!, match[2]!);
  }
  return fields;
};

// What qsub -verify shows of the submitting user and host: not b2's to check.
const CONTEXT = /^(?:sge_o_\w+|owner|uid|group|gid|mail_list|env_list)$/;

/** What qsub -verify must show of a job or array b2 wrote for `value` under `key` (the queue list aside). */
const verifiedFields = (value: string, key: string, script: { path: string; content: string }): Map<string, string> =>
  new Map([
    ['job_number', 'unassigned'],
    ['cwd', '/'],
    ['stderr_path_list', 'NONE:NONE:/dev/null'],
    ['notify', 'FALSE'],
    ['job_name', sgeJobName(value, key, value)],
    ['stdout_path_list', 'NONE:NONE:/dev/null'],
    ['jobshare', '0'],
    ['shell_list', 'NONE:/bin/bash'],
    ['verify', '-verify'],
    ['script_size', String(Buffer.byteLength(script.content))],
    ['script_file', script.path],
    ['job_type', 'NONE'],
  ]);

describeIfSge('Grid Engine submission of hostile values through the real qsub', () => {
  const values = submittable(withCanary(canary, REAL_COUNT));

  it(`qsub -verify reads exactly the job b2 gave it, for ${REAL_COUNT} values`, () => {
    const mismatches: string[] = [];
    values.forEach((value, index) => {
      const dir = path.join(root, 'real', String(index));
      mkdirSync(dir, { recursive: true });
      const job = hostileJob(value, dir);
      const [script] = adapter.submitFiles(job);
      writeFileSync(script!.path, script!.content, { mode: 0o755 });
      const [qsub, ...args] = adapter.submitCommand(job, bin).argv as [string, ...string[]];
      const result = spawnSync(qsub, ['-verify', ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      const expected = verifiedFields(value, '0123456789ab', script!);
      const seen = verifiedJob(result.stdout);
      const queues = seen.get('hard_queue_list');
      seen.delete('hard_queue_list');
      const fields = [...seen].filter(([name]) => !CONTEXT.test(name));
      const read = `qsub exited ${result.status} and read ${JSON.stringify([...verifiedJob(result.stdout)])} ${result.stderr}`;
      // -q takes a list: qsub may split the value at commas and trim blanks, but reads nothing else from it.
      if (result.status === 7 && /Wrong queue list format/.test(result.stderr) && value.includes(',')) return;
      const queuesFromValue =
        queues !== undefined &&
        queues !== '' &&
        queues
          .split(',')
          .filter((queue) => queue !== '')
          .every((queue) => queueFor(value).includes(queue));
      if (result.status !== 0 || !queuesFromValue || JSON.stringify(fields.sort()) !== JSON.stringify([...expected].sort())) {
        mismatches.push(`${JSON.stringify(value)}: ${read}`);
      }
    });
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('qsub -verify reads exactly the array b2 gave it, for 100 values', () => {
    const array = adapter.array!;
    const mismatches: string[] = [];
    values.slice(0, 100).forEach((value, index) => {
      const dir = path.join(root, 'real-array', String(index));
      mkdirSync(dir, { recursive: true });
      const job = { ...hostileJob(value, dir), resources: {}, bulk: { array: true, tasksPerJob: 1, tasksInParallel: 1, slotLimit: 2 } };
      const { files, command } = array.submission({ elements: [[job], [job], [job]], options: job, arrayKey: 'abcdefabcdef', dir, name: 'array-abcdefabcdef' }, bin);
      const [script] = files;
      writeFileSync(script!.path, script!.content, { mode: 0o755 });
      const [qsub, ...args] = command.argv as [string, ...string[]];
      const result = spawnSync(qsub, ['-verify', ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      const expected = verifiedFields(value, 'abcdefabcdef', script!);
      const fields = [...verifiedJob(result.stdout)].filter(([name]) => !CONTEXT.test(name));
      if (result.status !== 0 || !/^job-array tasks:\s+1-3:1$/m.test(result.stdout) || !/^maximum concurrency:\s+2$/m.test(result.stdout) || JSON.stringify(fields.sort()) !== JSON.stringify([...expected].sort())) {
        mismatches.push(`${JSON.stringify(value)}: qsub exited ${result.status} and read ${JSON.stringify(fields)} ${result.stderr}`);
      }
    });
    expect(mismatches).toEqual([]);
  }, 120_000);

  describe('real jobs', () => {
    const values = ['$HOME', 'a#b', 'a#c', '$JOB_ID', `it's "x" #$ -t 1-3`];
    let dir: string;
    beforeAll(() => {
      dir = makeProject({
        'pipeline.ts': `
          import { appendFileSync, writeFileSync } from 'node:fs';
          import { Task, WrapperTask, param } from 'b2';
          export class Echo extends Task.with({ value: param.string() }) {
            *output() { yield this.addToOutput('done.txt'); }
            run() {
              appendFileSync(new URL('./runs.txt', import.meta.url), this.value + ' ' + (process.env.SGE_TASK_ID ?? '') + '\\n');
              console.log('ran with', JSON.stringify(this.value));
              writeFileSync(this.getOutputFileName('done.txt'), this.value);
            }
          }
          export class All extends WrapperTask {
            *requires() { for (const value of ${JSON.stringify(values)}) yield new Echo({ value }); }
          }
          export default new All();`,
      });
    });
    afterAll(() => {
      const ids = journaledJobs(dir).map((job) => job.jobId);
      if (ids.length > 0) spawnSync('qdel', ids);
      rmSync(dir, { recursive: true, force: true });
    });

    it('whose parameters hold $HOME, # and $JOB_ID run once each, each with its own logs', () => {
      const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'sge', '--workers', '10', '--setting', 'poll_interval=0.5'], {
        cwd: dir,
        timeoutMs: 150_000,
      });
      if (result.code !== 0) throw new Error(`b2 exited with ${result.code}:\n${result.output}`);
      const runs = readFileSync(path.join(dir, 'runs.txt'), 'utf8').trim().split('\n');
      // The five go out as one array of five tasks (1-5), each run once: no value added a -t of its own.
      expect(runs.map((line) => line.replace(/ \S+$/, '')).sort()).toEqual([...values].sort());
      expect(runs.map((line) => line.replace(/^.* /, '')).sort()).toEqual(['1', '2', '3', '4', '5']);
      for (const value of values) {
        const stdout = readFileSync(path.join(dir, 'logs', `value=${value}`, 'Echo', 'stdout'), 'utf8');
        expect(stdout.match(/^ran with .*$/gm)).toEqual([`ran with ${JSON.stringify(value)}`]);
      }
    }, 180_000);
  });

  describe('a run whose folders hold $, # and blanks', () => {
    const folders = { log_dir: 'logs $HOME #x', state_dir: 'state $JOB_ID #y', task_file_dir: 'tasks $USER #z' };
    let dir: string;
    beforeAll(() => {
      dir = makeProject({ 'pipeline.ts': leavesPipeline(2, { family: 'Leaf', param: 'i', file: 'leaf.txt' }), 'settings.json': JSON.stringify(folders) });
    });
    afterAll(() => {
      const stateDir = path.join(dir, folders.state_dir);
      const ids = listRunIds(stateDir).flatMap((run) =>
        readJournal(runDirAt(stateDir, run).journal).flatMap((entry) => (entry.type === 'submitted' ? [entry.jobId] : [])),
      );
      if (ids.length > 0) spawnSync('qdel', ids);
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs, with each task\'s logs where log_dir says', () => {
      const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'sge', '--setting', 'poll_interval=0.5'], { cwd: dir, timeoutMs: 150_000 });
      if (result.code !== 0) throw new Error(`b2 exited with ${result.code}:\n${result.output}`);
      for (const i of [0, 1]) {
        expect(readFileSync(path.join(dir, `i=${i}`, 'leaf.txt'), 'utf8')).toBe(String(i));
        expect(readFileSync(path.join(dir, folders.log_dir, `i=${i}`, 'Leaf', 'stdout'), 'utf8')).toContain('b2: finished ');
      }
    }, 180_000);
  });
});
