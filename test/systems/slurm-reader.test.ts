/**
 * Hostile values against sbatch's own reader. sbatch tokenizes #SBATCH lines
 * with rules of its own (a backslash escapes even inside single quotes), so
 * b2 passes every option as one argv element and writes no value into a line
 * sbatch reads; Slurm drops backslashes from --output/--error paths, so a log
 * path with one is written by the batch script itself.
 *
 * - Pure, no daemon: all 3000 values of the corpus through the adapter, in the
 *   job name, the log paths, the run tag and the partition at once.
 * - Real `sbatch -v --test-only` (about 10 ms a call, no job runs): 600 of
 *   them, one call each, whose "defined options" must be exactly what b2
 *   asked for; plus one real job whose parameter is `x\' --array=1-3 #`,
 *   which must run exactly once.
 * A canary file that a value would create if it ever ran must never appear.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSlurmAdapter } from '../../src/systems/slurm.js';
import type { JobFile, JobSpec } from '../../src/systems/contract.js';
import { describeIfSlurm } from '../helpers/clusters.js';
import { leavesPipeline, makeProject, runB2 } from '../helpers/b2.js';
import { readJournal } from '../../src/journal/journal.js';
import { listRunIds, runDirAt } from '../../src/journal/run-dir.js';
import { journaledJobs } from '../helpers/runs.js';
import { withCanary } from '../helpers/hostile-values.js';
import { bin, jobSpec, thrownBy } from './helpers.js';

const PURE_COUNT = 3000;
const REAL_COUNT = 600;

const root = mkdtempSync(path.join(os.tmpdir(), 'b2-slurm-reader-'));
const canary = path.join(root, 'canary');
afterAll(() => {
  expect(existsSync(canary)).toBe(false);
  rmSync(root, { recursive: true, force: true });
});

// Values that can reach a job: one without line breaks (b2 refuses those in anything it submits).
const submittable = (values: readonly string[]): string[] => values.filter((value) => !/[\n\r]/.test(value));

// A blank queue name is refused before it reaches sbatch (test/batch/resources.test.ts).
const queueFor = (value: string): string => (value.trim() === '' ? 'debug' : value);

/** A job carrying the value wherever a value can reach sbatch. */
const hostileJob = (value: string, dir: string): JobSpec =>
  jobSpec({
    jobName: value,
    runTag: value,
    taskFileDir: dir,
    wrapperPath: path.join(dir, 'job_wrapper.sh'),
    stdoutPath: `${dir}/logs/${value}/stdout`,
    stderrPath: `${dir}/logs/${value}/stderr`,
    resources: { queue: queueFor(value) },
  });

const adapter = createSlurmAdapter();

// Slurm reads %j, %x, ... in --output/--error; %% is a percent sign.
const slurmPath = (file: string): string => file.replace(/%/g, '%%');

describe('Slurm submission of hostile values (no daemon)', () => {
  const values = submittable(withCanary(canary, PURE_COUNT));

  it(`puts each of ${PURE_COUNT} values into exactly one argv element and none into a line sbatch reads`, () => {
    const dir = '/data/tasks';
    for (const value of values) {
      const job = hostileJob(value, dir);
      const argv = adapter.submitCommand(job, bin).argv;
      const [script] = adapter.submitFiles(job);
      expect(argv.filter((arg) => arg === `--job-name=${value}`)).toHaveLength(1);
      expect(argv.filter((arg) => arg === `--comment=${value}.0123456789ab`)).toHaveLength(1);
      expect(argv.filter((arg) => arg === `--partition=${queueFor(value)}`)).toHaveLength(1);
      const logs = value.includes('\\') ? ['/dev/null', '/dev/null'] : [slurmPath(job.stdoutPath), slurmPath(job.stderrPath)];
      expect(argv).toContain(`--output=${logs[0]}`);
      expect(argv).toContain(`--error=${logs[1]}`);
      expect(argv.at(-1)).toBe(script!.path);
      expect(script!.content).not.toMatch(/^#SBATCH/m);
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

/** What `sbatch -v` lists between "defined options" and "end of defined options": name -> value. */
const definedOptions = (stderr: string): Map<string, string> => {
  const lines = stderr.split('\n');
  const start = lines.findIndex((line) => line === 'sbatch: defined options');
  const end = lines.findIndex((line) => line === 'sbatch: end of defined options');
  if (start < 0 || end < start) throw new Error(`sbatch -v listed no options:\n${stderr}`);
  const options = new Map<string, string>();
  for (const line of lines.slice(start + 2, end - 1)) {
    const match = /^sbatch: (\S+)\s*: (.*)$/.exec(line);
    if (match === null) throw new Error(`unexpected sbatch -v line: ${JSON.stringify(line)}`);
    options.set(match[1]!, match[2]!);
  }
  return options;
};

/** The options the real sbatch -v --test-only reads from the files and command b2 made, submitted from `dir`. */
const optionsSbatchReads = (files: readonly JobFile[], argv: readonly string[], dir: string): Map<string, string> => {
  for (const file of files) writeFileSync(file.path, file.content, { mode: file.mode ?? 0o644 });
  const [sbatch, ...args] = argv as [string, ...string[]];
  const result = spawnSync(sbatch, ['-v', '--test-only', ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  return definedOptions(result.stderr);
};

const sameOptions = (seen: Map<string, string>, expected: Map<string, string>): boolean => JSON.stringify([...seen].sort()) === JSON.stringify([...expected].sort());

describeIfSlurm('Slurm submission of hostile values through the real sbatch', () => {
  const values = submittable(withCanary(canary, REAL_COUNT));

  it(`sbatch --test-only reads exactly the options b2 gave it, for ${REAL_COUNT} values`, () => {
    const mismatches: string[] = [];
    values.forEach((value, index) => {
      const dir = path.join(root, 'real', String(index));
      mkdirSync(dir, { recursive: true });
      const job = hostileJob(value, dir);
      const seen = optionsSbatchReads(adapter.submitFiles(job), adapter.submitCommand(job, bin).argv, dir);
      const logs = value.includes('\\') ? ['/dev/null', '/dev/null'] : [slurmPath(job.stdoutPath), slurmPath(job.stderrPath)];
      const expected = new Map([
        ['comment', `${value}.0123456789ab`],
        ['error', logs[1]!],
        ['job-name', value],
        ['output', logs[0]!],
        ['parsable', 'set'],
        ['partition', queueFor(value)],
        ['test-only', 'set'],
        ['verbose', '1'],
      ]);
      if (!sameOptions(seen, expected)) mismatches.push(`${JSON.stringify(value)}: sbatch read ${JSON.stringify([...seen])}`);
    });
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('sbatch --test-only reads exactly the options of an array b2 gave it, for 100 values', () => {
    const array = adapter.array!;
    const mismatches: string[] = [];
    values.slice(0, 100).forEach((value, index) => {
      const dir = path.join(root, 'real-array', String(index));
      mkdirSync(dir, { recursive: true });
      const job = { ...hostileJob(value, dir), bulk: { array: true, tasksPerJob: 1, tasksInParallel: 1, slotLimit: 2 } };
      const { files, command } = array.submission({ elements: [[job], [job], [job]], options: job, arrayKey: 'abcdefabcdef', dir, name: 'array-abcdefabcdef' }, bin);
      const seen = optionsSbatchReads(files, command.argv, dir);
      const expected = new Map([
        ['array', '1-3%2'],
        ['comment', `${value}.abcdefabcdef`],
        ['error', '/dev/null'],
        ['job-name', value],
        ['output', '/dev/null'],
        ['parsable', 'set'],
        ['partition', queueFor(value)],
        ['test-only', 'set'],
        ['verbose', '1'],
      ]);
      if (!sameOptions(seen, expected)) mismatches.push(`${JSON.stringify(value)}: sbatch read ${JSON.stringify([...seen])}`);
    });
    expect(mismatches).toEqual([]);
  }, 120_000);

  describe('a real job', () => {
    let dir: string;
    beforeAll(() => {
      const value = "x\\' --array=1-3 #";
      dir = makeProject({
        'pipeline.ts': `
          import { appendFileSync, writeFileSync } from 'node:fs';
          import { Task, param } from 'b2';
          export class Echo extends Task.with({ value: param.string() }) {
            *output() { yield this.addToOutput('done.txt'); }
            run() {
              appendFileSync(new URL('./runs.txt', import.meta.url), (process.env.SLURM_ARRAY_TASK_ID ?? 'no array') + '\\n');
              console.log('ran with', JSON.stringify(this.value));
              writeFileSync(this.getOutputFileName('done.txt'), this.value);
            }
          }
          export default new Echo({ value: ${JSON.stringify(value)} });`,
      });
    });
    afterAll(() => {
      const ids = journaledJobs(dir).map((job) => job.jobId);
      if (ids.length > 0) spawnSync('scancel', ids);
      rmSync(dir, { recursive: true, force: true });
    });

    it('whose parameter is x\\\' --array=1-3 # runs exactly once, with its logs where b2 put them', () => {
      const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'slurm', '--setting', 'poll_interval=0.5'], {
        cwd: dir,
        timeoutMs: 150_000,
      });
      if (result.code !== 0) throw new Error(`b2 exited with ${result.code}:\n${result.output}`);
      // One element of the one-task array b2 made: the value added no --array of its own.
      expect(readFileSync(path.join(dir, 'runs.txt'), 'utf8')).toBe('1\n');
      expect(journaledJobs(dir)).toHaveLength(1);
      const logDir = path.join(dir, 'logs', "value=x\\' --array=1-3 #", 'Echo');
      expect(readFileSync(path.join(logDir, 'stdout'), 'utf8')).toContain(`ran with "x\\\\' --array=1-3 #"`);
    }, 180_000);
  });

  describe('a run whose folders hold $, # and blanks', () => {
    const folders = { log_dir: 'logs \\ $HOME #x', state_dir: 'state $JOB_ID #y', task_file_dir: 'tasks $USER #z' };
    let dir: string;
    beforeAll(() => {
      dir = makeProject({ 'pipeline.ts': leavesPipeline(2, { family: 'Leaf', param: 'i', file: 'leaf.txt' }), 'settings.json': JSON.stringify(folders) });
    });
    afterAll(() => {
      const stateDir = path.join(dir, folders.state_dir);
      const ids = listRunIds(stateDir).flatMap((run) =>
        readJournal(runDirAt(stateDir, run).journal).flatMap((entry) => (entry.type === 'submitted' ? [entry.jobId] : [])),
      );
      if (ids.length > 0) spawnSync('scancel', ids);
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs, with each task\'s logs where log_dir says', () => {
      const result = runB2(['run', 'pipeline.ts', '--batch', '--batch-system', 'slurm', '--setting', 'poll_interval=0.5'], { cwd: dir, timeoutMs: 150_000 });
      if (result.code !== 0) throw new Error(`b2 exited with ${result.code}:\n${result.output}`);
      for (const i of [0, 1]) {
        expect(readFileSync(path.join(dir, `i=${i}`, 'leaf.txt'), 'utf8')).toBe(String(i));
        expect(readFileSync(path.join(dir, folders.log_dir, `i=${i}`, 'Leaf', 'stdout'), 'utf8')).toContain('b2: finished ');
      }
    }, 180_000);
  });
});
