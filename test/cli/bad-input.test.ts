import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { averagePipeline, B2_BIN, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';

const NOBODY = 65534;

/** Runs b2 on a broken pipeline and checks the common contract: exit 2, one readable message, nothing written. */
const expectUserError = (files: Record<string, string>, args: string[], message: RegExp | string, hint?: RegExp | string) => {
  const dir = makeProject(files);
  const result = runB2(['run', ...args], { cwd: dir });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(typeof message === 'string' ? new RegExp(escape(message)) : message);
  if (hint) expect(result.stderr).toMatch(typeof hint === 'string' ? new RegExp(`hint:.*${escape(hint)}`) : hint);
  expect(result.output).not.toMatch(STACK_LINE);
  expect(readdirSync(dir).filter((name) => name !== '.b2').sort()).toEqual(Object.keys(files).map((f) => f.split('/')[0]).sort());
  return result;
};
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const task = (body: string): string => `import { Task, param } from 'b2';\n${body}`;

describe('bad input: one readable message, exit code 2, nothing run or written', () => {
  it('a pipeline that does not compile', () => {
    expectUserError({ 'p.ts': 'export const x = ;\n' }, ['p.ts'], /Could not compile .*p\.ts:\n\s+.*p\.ts:1:\d+: Unexpected ";"/);
  });

  it('a pipeline that throws on import, with the line', () => {
    expectUserError({ 'p.ts': task("const broken = () => { throw new Error('no calibration'); };\nbroken();\n") }, ['p.ts'], /p\.ts failed while loading: no calibration \(at p\.ts:2:\d+\)/);
  });

  it('an import of a module inside b2 (not part of its API), with what to import instead', () => {
    expectUserError(
      { 'p.ts': "import { Task } from 'b2/pipeline/task';\nexport class A extends Task {}\nexport default new A();\n" },
      ['p.ts'],
      /Could not compile .*p\.ts:\n\s+.*p\.ts:1:\d+: "b2\/pipeline\/task" is not part of b2's API: import from "b2" \(the task API is all there\), or "b2\/package\.json"\./,
    );
  });

  it('a missing pipeline file', () => {
    expectUserError({ 'other.ts': '' }, ['p.ts'], /Pipeline file .*p\.ts does not exist/);
  });

  it('no default export and no task named', () => {
    expectUserError({ 'p.ts': task('export class A extends Task {}\n') }, ['p.ts'], 'has no default export and no task was named', 'b2 run p.ts A');
  });

  it('an unknown task name, with the nearest one suggested', () => {
    expectUserError({ 'p.ts': averagePipeline() }, ['p.ts', 'MyNumbrTask'], 'exports no task named "MyNumbrTask"', 'Did you mean MyNumberTask?');
  });

  it('a missing parameter', () => {
    expectUserError({ 'p.ts': averagePipeline() }, ['p.ts', 'MyNumberTask'], 'MyNumberTask needs a value for parameter "some_parameter" (an integer)');
  });

  it('an ill-typed parameter', () => {
    expectUserError({ 'p.ts': averagePipeline() }, ['p.ts', 'MyNumberTask', '--some-parameter', 'three'], '--some-parameter: expected an integer, got "three"');
  });

  it('an unknown parameter, with the nearest one suggested', () => {
    expectUserError({ 'p.ts': averagePipeline() }, ['p.ts', 'MyNumberTask', '--some-paramter', '3'], 'unknown option --some-paramter; did you mean --some-parameter?', 'MyNumberTask takes: --some-parameter');
  });

  it('a cycle, with the full loop', () => {
    const files = {
      'p.ts': task(`
export class A extends Task.with({ k: param.int() }) {
  requires() { return new A({ k: (this.k + 1) % 3 }); }
}
export default new A({ k: 0 });
`),
    };
    expectUserError(files, ['p.ts'], 'The task graph has a cycle: A(k=0) -> A(k=1) -> A(k=2) -> A(k=0).');
  });

  it('two different tasks with the same output path', () => {
    const clash = {
      'p.ts': task(`
export class One extends Task { *output() { yield this.addToOutput('same.txt'); } }
export class Two extends Task { *output() { yield this.addToOutput('same.txt'); } }
export default [new One(), new Two()];
`),
    };
    expectUserError(clash, ['p.ts'], /Two different tasks write the same output .*same\.txt: One\(\) and Two\(\)|Two different tasks write the same output .*same\.txt: Two\(\) and One\(\)/);
  });

  it('requires() returning something that is not a task', () => {
    const files = {
      'p.ts': task(`
export class A extends Task { requires() { return [42]; } }
export default new A();
`),
    };
    expectUserError(files, ['p.ts'], 'A().requires() returned 42, which is not a task', 'requires() may return a task');
  });

  it('a parameter value containing "/"', () => {
    const files = {
      'p.ts': task(`
export class A extends Task.with({ name: param.string() }) { *output() { yield this.addToOutput('o.txt'); } }
export default new A({ name: 'data/2024' });
`),
    };
    expectUserError(files, ['p.ts'], 'Parameter `name=data/2024` of A cannot be used as a folder name', 'hashed: true');
  });

  it.each([
    ['300 characters', "'x'.repeat(300)", 'makes a folder name of 305 bytes ("name=xxxx'],
    ['a NUL character', "'a\\0b'", 'contains a NUL character, which no file or folder name can hold'],
  ])('a parameter value of %s, in every mode', (_, value, message) => {
    const files = {
      'p.ts': task(`
export class A extends Task.with({ name: param.string() }) { *output() { yield this.addToOutput('o.txt'); } run() {} }
export default new A({ name: ${value} });
`),
    };
    for (const mode of [[], ['--test'], ['--batch', '--batch-system', 'local']]) expectUserError(files, ['p.ts', ...mode], message, 'hashed: true');
  });

  it.each([[[]], [['--batch', '--batch-system', 'local']]])('log_dir naming a file, or a folder below one (%j)', (mode) => {
    for (const logDir of ['notes.txt', 'notes.txt/logs']) {
      const result = expectUserError({ 'p.ts': averagePipeline(), 'notes.txt': 'mine' }, ['p.ts', '--setting', `log_dir=${logDir}`, ...mode], /log_dir \S+ cannot be a folder: \S+notes\.txt is a file\./, 'Set log_dir to a folder');
      expect(result.output).not.toContain('internal error');
    }
  });

  it('result_dir naming a file, also with --test', () => {
    for (const mode of [[], ['--test']]) {
      expectUserError({ 'p.ts': averagePipeline(), 'notes.txt': 'mine' }, ['p.ts', '--result-dir', 'notes.txt', ...mode], /result_dir \S+notes\.txt cannot be a folder: \S+notes\.txt is a file\./, 'Set result_dir to a folder');
    }
  });

  it('shows the stack trace with --verbose', () => {
    const dir = makeProject({ 'p.ts': averagePipeline() });
    const result = runB2(['run', 'p.ts', 'Nope', '--verbose'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(STACK_LINE);
  });
});

describe('bad settings: exit 2, naming the setting, its value, where it came from and the fix', () => {
  const run = (files: Record<string, string>, args: string[], env: Record<string, string> = {}) => {
    const dir = makeProject({ 'p.ts': averagePipeline(), ...files });
    const result = runB2(['run', 'p.ts', ...args], { cwd: dir, env });
    expect(result.output).not.toMatch(STACK_LINE);
    return { dir, result };
  };

  it.each([
    ['poll_interval', '0'],
    ['poll_interval', '-1'],
    ['submit_timeout', '0'],
    ['status_query_timeout', '0s'],
    ['lost_job_grace', '00:00:00'],
    ['submit_timeout', '3000000'],
    ['status_query_timeout', '25d'],
  ])('%s=%s from the command line', (key, value) => {
    const { dir, result } = run({}, ['--setting', `${key}=${value}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`Bad value for setting ${key} \\(from flag --setting ${key}=${escape(value)}\\): .* is not seconds \\(a number > 0\\)`));
    expect(result.stderr).toMatch(new RegExp(`hint: +${key}: .*Give it seconds \\(a number > 0\\)`));
    expect(readdirSync(dir)).toEqual(['p.ts']);
  });

  it('a poll interval of 0 from the environment names the variable', () => {
    const { result } = run({}, [], { B2_POLL_INTERVAL: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Bad value for setting poll_interval (from env B2_POLL_INTERVAL): 0 is not seconds (a number > 0)');
  });

  it.each([
    ['/', '"/"'],
    ['/../../escaped/', '"/../../escaped/"'],
    ['..', '".."'],
    ['=\u0000', '"=\\u0000"'],
  ])('parameter_separator %j in settings.json, which would leave result_dir', (separator, shown) => {
    const { dir, result } = run({ 'settings.json': JSON.stringify({ parameter_separator: separator, result_dir: 'results' }) }, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Bad value for setting parameter_separator (from settings.json: ${dir}/settings.json, at $.parameter_separator): ${shown} is not a string without "/", ".." or NUL.`);
    expect(readdirSync(dir).sort()).toEqual(['p.ts', 'settings.json']);
    expect(readdirSync(path.dirname(dir)).filter((name) => name === 'escaped')).toEqual([]);
  });

  it.each([
    ['a file', 'state-file', 'it is a file'],
    ['below a file', 'state-file/runs', 'a folder on its way is a file'],
    ['where no folder can be made', '/proc/b2-runs', 'it cannot be created'],
  ])('state_dir %s', (_what, stateDir, problem) => {
    const { dir, result } = run({ 'state-file': 'not a folder\n' }, ['--setting', `state_dir=${stateDir}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`state_dir ${JSON.stringify(stateDir)} (from flag --setting state_dir=${stateDir}) is ${path.resolve(dir, stateDir)}, which cannot hold run journals: ${problem}`);
    expect(result.stderr).toMatch(/hint: +Point state_dir at a folder you can write to/);
    expect(readdirSync(dir).filter((name) => name !== '.b2').sort()).toEqual(['p.ts', 'state-file']);
  });

  it.each([
    ['status', ['status', '--setting', 'state_dir=state-file']],
    ['status', ['status', '--state-dir', 'state-file']],
    ['kill', ['kill', '--setting', 'state_dir=state-file']],
  ])('b2 %s with a runs folder that is a file', (_command, args) => {
    const dir = makeProject({ 'p.ts': averagePipeline(), 'state-file': 'not a folder\n' });
    const result = runB2(args, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.output).not.toMatch(STACK_LINE);
    expect(result.stderr).toContain(`The runs folder ${path.join(dir, 'state-file')} is a file, so it holds no run journals.`);
    expect(result.stderr).toMatch(/hint: +Point state_dir \(or --state-dir\) at the folder of the runs/);
  });

  it('state_dir a folder this user cannot write to', () => {
    const dir = makeProject({ 'p.ts': averagePipeline() });
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    // Root writes anywhere: then b2 runs as nobody, who owns the project but not that folder.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(dir, NOBODY, NOBODY);
    const result = spawnSync(process.execPath, [B2_BIN, 'run', 'p.ts', '--setting', 'state_dir=locked'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', HOME: dir },
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    expect({ code: result.status, stderr: result.stderr }).toMatchObject({ code: 2 });
    expect(result.stderr).toContain(`state_dir "locked" (from flag --setting state_dir=locked) is ${locked}, which cannot hold run journals: it is not writable (EACCES).`);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(readdirSync(locked)).toEqual([]);
  });

  it.each(['abc', '0', '-3', '1e12'])('B2_PROGRESS_INTERVAL=%s', (value) => {
    const { dir, result } = run({}, [], { B2_PROGRESS_INTERVAL: value });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Bad value for B2_PROGRESS_INTERVAL (from the environment): ${JSON.stringify(value)} is not a number of seconds > 0`);
    expect(result.stderr).toMatch(/hint: +B2_PROGRESS_INTERVAL: .*Set it to a number such as 30, or unset it/);
    expect(readdirSync(dir).filter((name) => name !== '.b2')).toEqual(['p.ts']);
  });
});
