/**
 * Hostile values at the HTCondor and LSF boundaries and through the bash job
 * wrapper. Each value is used as a job name, a path segment of the log,
 * working and task folders, the run tag, a settings value, a parameter-like
 * command argument and an env value. Readers: the simulators' own (they
 * follow condor_submit's and bsub's documented rules) and real bash.
 *
 * A value may be refused, with a UserError, only for a reason the batch
 * system leaves no way around; every other value must arrive exactly as b2
 * meant it. Nothing may ever create the canary file.
 *
 * Most checks run in-process over the whole corpus; a few hundred values go
 * end to end through the simulators and the wrapper.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classAdString, renderGroupDescription, renderSubmitDescription } from '../../src/systems/htcondor.js';
import { bsubArguments } from '../../src/systems/lsf.js';
import type { JobSpec } from '../../src/systems/contract.js';
import { isUserError } from '../../src/errors.js';
import { renderJobWrapper, type WrapperSpec } from '../../src/wrapper/wrapper.js';
import { literalOf, parseExpr } from '../fakes/lib/classad.mjs';
import { readSubmitDescription } from '../fakes/lib/condor-submit-file.mjs';
import { createFakeCluster, type FakeCluster } from '../fakes/lib/index.mjs';
import { asPathSegments, withCanary } from '../helpers/hostile-values.js';

jest.setTimeout(300_000);

const root = mkdtempSync(path.join(os.tmpdir(), 'b2-fuzz-'));
const canary = path.join(root, 'CANARY');
const VALUES = withCanary(canary, 3000);
const SEGMENTS = asPathSegments(VALUES);
// How many values go end to end: through one shared HTCondor description, and one bsub (a process) each.
const END_TO_END = 120;
const END_TO_END_BSUB = 50;

afterAll(() => {
  expect(existsSync(canary)).toBe(false);
  rmSync(root, { recursive: true, force: true });
});

const spec = (overrides: Partial<JobSpec> = {}): JobSpec => ({
  taskId: 'Fuzz_1_abc',
  runTag: 'b2-fuzz-run',
  taskKey: '0123456789ab',
  jobName: 'Fuzz',
  wrapperPath: '/data/tasks/Fuzz/job.sh',
  taskFileDir: '/data/tasks/Fuzz',
  stdoutPath: '/data/logs/Fuzz/stdout',
  stderrPath: '/data/logs/Fuzz/stderr',
  jobLogPath: '/data/logs/Fuzz/job.log',
  workingDir: '/data/work',
  resources: {},
  systemSettings: {},
  transferFiles: [],
  ...overrides,
});

/** The UserError a builder throws, or undefined when it builds. Anything else thrown fails the test. */
const refusal = (build: () => unknown): { reason: string; message: string } | undefined => {
  try {
    build();
    return undefined;
  } catch (error) {
    if (isUserError(error)) return { reason: error.reason, message: error.message };
    throw error;
  }
};

const LINE_BREAK = /[\n\r\0]/;

// ---------------------------------------------------------------- HTCondor

// Why condor_submit cannot be given this value as written (see src/systems/htcondor.ts), or undefined.
const condorLineProblem = (value: string): string | undefined => {
  if (LINE_BREAK.test(value)) return 'line break';
  if (/\\[ \t\v\f]*$/.test(value)) return 'backslash';
  if (/^[ \t\v\f]|[ \t\v\f]$/.test(value)) return 'blanks';
  return undefined;
};
const condorLiteralProblem = (value: string): string | undefined => condorLineProblem(value) ?? (value.includes('$$(') ? '$$(' : undefined);

const classAdText = (expression: string | undefined): unknown => {
  const literal = literalOf(parseExpr(expression ?? ''));
  return literal?.t === 'str' ? literal.v : literal;
};

describe('HTCondor submit descriptions, read back by condor_submit rules', () => {
  it('gives back every job name, path, run tag and setting exactly, or refuses it for a named reason', () => {
    const segments = new Set(SEGMENTS);
    let refused = 0;
    let tried = 0;
    for (const value of VALUES) {
      const cases: Array<{ job: JobSpec; problem: string | undefined; check: (proc: ReturnType<typeof readSubmitDescription>[number]) => void }> = [
        { job: spec({ jobName: value }), problem: condorLiteralProblem(value), check: (proc) => expect(proc.settings.batch_name).toBe(value) },
        { job: spec({ runTag: value }), problem: condorLiteralProblem(classAdString(value)), check: (proc) => expect(classAdText(proc.attrs.B2RunTag)).toBe(value) },
        {
          job: spec({ systemSettings: { description: value, '+B2Fuzz': value } }),
          problem: condorLineProblem(value),
          check: (proc) => {
            // Settings are HTCondor syntax: their macros are meant to expand, so the text read is what counts.
            expect(proc.raw.description).toBe(value);
            expect(Object.keys(proc.attrs)).toContain('B2Fuzz');
          },
        },
      ];
      if (segments.has(value)) {
        const stdoutPath = `/data/logs/${value}/Fuzz/stdout`;
        cases.push({ job: spec({ stdoutPath, taskFileDir: `/data/t/${value}` }), problem: condorLiteralProblem(stdoutPath), check: (proc) => expect(proc.settings.output).toBe(stdoutPath) });
      }
      for (const { job, problem, check } of cases) {
        tried++;
        let text = '';
        const refused_ = refusal(() => (text = renderSubmitDescription(job)));
        if (problem !== undefined) {
          expect({ value, refused: refused_?.message.includes(problem) }).toEqual({ value, refused: true });
          refused++;
          continue;
        }
        expect({ value, refused: refused_ }).toEqual({ value, refused: undefined });
        const procs = readSubmitDescription(text);
        expect({ value, procs: procs.length }).toEqual({ value, procs: 1 });
        const [proc] = procs;
        // The commands b2 relies on are all there, whatever came before them.
        expect(classAdText(proc!.attrs.B2RunTag)).toBe(job.runTag);
        expect(proc!.settings.executable).toBe(job.wrapperPath);
        expect(proc!.settings.log).toBe(job.jobLogPath);
        check(proc!);
      }
    }
    // Refusals stay the exception (most of them are values with line breaks).
    expect(refused).toBeLessThan(tried / 2);
  });

  it('keeps every job of a shared description apart: one proc each, in order, with its own values', () => {
    const accepted = VALUES.filter((value) => condorLiteralProblem(value) === undefined);
    for (let start = 0; start < accepted.length; start += 50) {
      const jobs = accepted.slice(start, start + 50).map((value, i) => spec({ jobName: value, taskFileDir: `/data/t/${start + i}`, wrapperPath: `/data/t/${start + i}/job.sh` }));
      const procs = readSubmitDescription(renderGroupDescription(jobs));
      expect(procs.map((proc) => proc.settings.batch_name)).toEqual(jobs.map((job) => job.jobName));
      expect(procs.map((proc) => proc.settings.initialdir)).toEqual(jobs.map((job) => job.taskFileDir));
    }
  });
});

// ---------------------------------------------------------------- LSF

const lsfPathProblem = (value: string): string | undefined => (/%[JI]/.test(value) ? '%' : LINE_BREAK.test(value) ? 'line break' : undefined);
const optionValue = (args: readonly string[], option: string): string | undefined => args[args.indexOf(option) + 1];

describe('LSF bsub arguments', () => {
  it('passes every job name, run tag and log path as one argument LSF leaves alone, or refuses it for a named reason', () => {
    for (const value of VALUES) {
      const named = refusal(() => bsubArguments(spec({ jobName: value, runTag: value })));
      if (LINE_BREAK.test(value)) {
        expect(named?.message).toContain('line break');
        continue;
      }
      expect({ value, named }).toEqual({ value, named: undefined });
      const args = bsubArguments(spec({ jobName: value, runTag: value }));
      // Brackets would make a job array: they become underscores, nothing else changes.
      expect(optionValue(args, '-J')).toBe(value.replace(/[[\]]/g, '_'));
      expect(optionValue(args, '-Jd')).toBe(`${value}.0123456789ab`);
    }
    for (const segment of SEGMENTS) {
      const stdoutPath = `/data/logs/${segment}/Fuzz/stdout`;
      const problem = lsfPathProblem(stdoutPath);
      const refused = refusal(() => bsubArguments(spec({ stdoutPath })));
      if (problem !== undefined) expect({ segment, refused: refused?.message.includes(problem) }).toEqual({ segment, refused: true });
      else expect(optionValue(bsubArguments(spec({ stdoutPath })), '-oo')).toBe(stdoutPath);
    }
  });
});

// ---------------------------------------------------------------- bash wrapper

// Writes its argument count, its arguments and the B2F_ variables (NAME=value) to $FUZZ_REPORT, each
// ending in NUL: bash's printf, so no node start-up per job, and nothing the wrapper prints gets in the way.
const REPORT = ['/bin/bash', '-c', 'exec >"$FUZZ_REPORT"; printf "%s\\0" "$#" "$@"; for n in "${!B2F_@}"; do printf "%s=%s\\0" "$n" "${!n}"; done', 'report'];

const readReport = (file: string): { args: string[]; env: Record<string, string> } => {
  const fields = readFileSync(file, 'utf8').split('\0').slice(0, -1);
  const count = Number(fields[0]);
  const env = Object.fromEntries(fields.slice(1 + count).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  return { args: fields.slice(1, 1 + count), env };
};

const wrapperSpec = (dir: string, overrides: Partial<WrapperSpec>): WrapperSpec => ({
  taskId: 'Fuzz_1_abc',
  shell: 'bash',
  workingDir: dir,
  env: { FUZZ_REPORT: path.join(dir, 'report') },
  command: REPORT,
  exitStatusFile: path.join(dir, 'exit_status'),
  ...overrides,
});

const runWrapper = (file: string, text: string, env: NodeJS.ProcessEnv = process.env) => {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  const result = spawnSync(file, [], { encoding: 'utf8', env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
};

describe('bash job wrapper', () => {
  const dir = path.join(root, 'wrapper');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
  });

  it.each([
    ['as bash starts it', process.env],
    ['under an inherited POSIXLY_CORRECT', { ...process.env, POSIXLY_CORRECT: '1' }],
  ])('hands every value to the task as an argument and an env value, %s', (_how, inherited) => {
    const values = VALUES.filter((value) => !value.includes('\0'));
    for (let start = 0; start < values.length; start += 500) {
      const batch = values.slice(start, start + 500);
      const env = Object.fromEntries(batch.map((value, i) => [`B2F_${i}`, value]));
      const text = renderJobWrapper(wrapperSpec(dir, { taskId: batch[0]!, env: { ...env, FUZZ_REPORT: path.join(dir, 'report') }, command: [...REPORT, ...batch] }));
      const result = runWrapper(path.join(dir, 'job.sh'), text, inherited);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(readFileSync(path.join(dir, 'exit_status'), 'utf8')).toBe('0\n');
      const seen = readReport(path.join(dir, 'report'));
      expect(seen.args).toEqual(batch);
      expect(seen.env).toEqual(env);
      expect(existsSync(canary)).toBe(false);
    }
  });

  it('changes to a working directory named by each value', () => {
    for (const segment of SEGMENTS.slice(0, END_TO_END_BSUB)) {
      const workingDir = path.join(dir, 'work', segment);
      mkdirSync(workingDir, { recursive: true });
      const text = renderJobWrapper(wrapperSpec(dir, { workingDir, taskId: segment, command: ['/bin/bash', '-c', 'printf "%s" "$PWD" >"$FUZZ_REPORT"'] }));
      const result = runWrapper(path.join(dir, 'job.sh'), text);
      expect({ segment, status: result.status }).toEqual({ segment, status: 0 });
      expect(readFileSync(path.join(dir, 'report'), 'utf8')).toBe(workingDir);
    }
    expect(existsSync(canary)).toBe(false);
  });
});

// ---------------------------------------------------------------- end to end

/** One job of the end-to-end runs: its folders named by the value, a wrapper that reports the value back. */
const endToEndJob = (base: string, index: number, value: string, runTag: string): JobSpec => {
  const taskFileDir = path.join(base, 'tasks', String(index), value);
  const logDir = path.join(base, 'logs', String(index), value);
  const workingDir = path.join(base, 'work', String(index), value);
  for (const folder of [taskFileDir, logDir, workingDir]) mkdirSync(folder, { recursive: true });
  const wrapperPath = path.join(taskFileDir, 'job.sh');
  const wrapper = renderJobWrapper(
    wrapperSpec(logDir, { taskId: value, workingDir, env: { B2F_VALUE: value, FUZZ_REPORT: path.join(logDir, 'report') }, command: [...REPORT, value] }),
  );
  writeFileSync(wrapperPath, wrapper, { mode: 0o755 });
  return spec({
    taskId: `Fuzz_${index}`,
    runTag,
    jobName: value,
    wrapperPath,
    taskFileDir,
    stdoutPath: path.join(logDir, 'stdout'),
    stderrPath: path.join(logDir, 'stderr'),
    jobLogPath: path.join(logDir, 'job.log'),
    workingDir,
  });
};

const expectReported = (job: JobSpec, value: string): void => {
  const logDir = path.dirname(job.stdoutPath);
  expect({ value, status: readFileSync(path.join(logDir, 'exit_status'), 'utf8') }).toEqual({ value, status: '0\n' });
  expect(readReport(path.join(logDir, 'report'))).toEqual({ args: [value], env: { B2F_VALUE: value } });
  // The job's own output went where b2 asked: the wrapper's lines are in the stdout file.
  expect(readFileSync(job.stdoutPath, 'utf8')).toContain('b2: finished ');
};

describe('end to end through the simulators', () => {
  let cluster: FakeCluster;
  beforeAll(() => {
    cluster = createFakeCluster({ faults: { condorQueueLingerMs: 600_000, lsfJobReport: false } });
  });
  afterAll(() => cluster.cleanup());

  it('HTCondor: one shared description, each job with its name, folders and tag intact', async () => {
    const base = path.join(root, 'condor');
    const values = SEGMENTS.filter((value) => condorLiteralProblem(value) === undefined).slice(0, END_TO_END);
    const runTag = `run ${values.slice(0, 3).join(' ')}`.replace(/[\n\r\0]/g, '');
    const jobs = values.map((value, i) => endToEndJob(base, i, value, runTag));
    const submitFile = path.join(base, 'group.submit');
    writeFileSync(submitFile, renderGroupDescription(jobs));
    const submitted = spawnSync('condor_submit', ['-terse', submitFile], { cwd: base, env: cluster.env, encoding: 'utf8' });
    expect(submitted.stderr).toBe('');
    expect(submitted.stdout.trim().split('\n')).toHaveLength(jobs.length);
    await cluster.waitFor((all) => all.filter((job) => job.system === 'htcondor' && job.state === 'completed').length === jobs.length, { timeoutMs: 240_000 });
    const q = spawnSync('condor_q', ['-json', '-attributes', 'ClusterId,JobBatchName,B2RunTag,Out'], { env: cluster.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const ads = (JSON.parse(q.stdout) as Array<{ ClusterId: number; JobBatchName: string; B2RunTag: string; Out: string }>).sort((a, b) => a.ClusterId - b.ClusterId);
    expect(ads.map((ad) => [ad.JobBatchName, ad.B2RunTag, ad.Out])).toEqual(jobs.map((job) => [job.jobName, runTag, job.stdoutPath]));
    jobs.forEach((job, i) => expectReported(job, values[i]!));
    expect(existsSync(canary)).toBe(false);
  });

  it('LSF: each bsub with its name, tag and log paths intact', async () => {
    const base = path.join(root, 'lsf');
    const values = SEGMENTS.filter((value) => lsfPathProblem(value) === undefined).slice(0, END_TO_END_BSUB);
    const jobs = values.map((value, i) => endToEndJob(base, i, value, value));
    for (const job of jobs) {
      const submitted = spawnSync('bsub', bsubArguments(job), { cwd: job.taskFileDir, env: cluster.env, encoding: 'utf8' });
      expect({ value: job.jobName, out: submitted.stdout }).toEqual({ value: job.jobName, out: expect.stringMatching(/^Job <\d+> is submitted to default queue <normal>\.\n$/) });
    }
    await cluster.waitFor((all) => all.filter((job) => job.system === 'lsf' && job.state === 'completed').length === jobs.length, { timeoutMs: 240_000 });
    const b = spawnSync('bjobs', ['-a', '-json', '-o', 'jobid job_name job_description stat'], { env: cluster.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const records = (JSON.parse(b.stdout) as { RECORDS: Array<{ JOBID: string; JOB_NAME: string; JOB_DESCRIPTION: string; STAT: string }> }).RECORDS.sort(
      (x, y) => Number(x.JOBID) - Number(y.JOBID),
    );
    expect(records.map((r) => [r.JOB_NAME, r.JOB_DESCRIPTION, r.STAT])).toEqual(jobs.map((job) => [job.jobName.replace(/[[\]]/g, '_'), `${job.runTag}.${job.taskKey}`, 'DONE']));
    jobs.forEach((job, i) => expectReported(job, values[i]!));
    expect(existsSync(canary)).toBe(false);
  });
});

// The run tag b2 writes is a ClassAd string: quoting is what keeps it one attribute.
it('quotes ClassAd strings so the simulator reads each back', () => {
  for (const value of VALUES.filter((v) => !LINE_BREAK.test(v))) expect(classAdText(classAdString(value))).toBe(value);
});
