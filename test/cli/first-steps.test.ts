/**
 * What a new user meets first, through the real CLI: help, typos, colours,
 * exit codes and the messages about the graph.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createFakeCluster, type FakeCluster } from '../fakes/lib/index.mjs';
import { averagePipeline, B2_BIN, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';

const run = (dir: string, args: string[], env: Record<string, string | undefined> = {}) => runB2(['run', 'p.ts', ...args], { cwd: dir, env });

describe('b2 worker --help', () => {
  it.each([['--help'], ['-h']])('prints the usage of b2 worker and exits 0 (%s)', (flag) => {
    const dir = makeProject({});
    const result = runB2(['worker', flag], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/usage: b2 worker --task-id ID --run-dir DIR/);
    expect(result.stdout).toMatch(/--task-record/);
    expect(result.stderr).toBe('');
  });
});

describe('option typos are reported as options, not as task parameters', () => {
  const project = () => makeProject({ 'p.ts': averagePipeline() });

  it.each([
    [['--dryrun'], /unknown option --dryrun; did you mean --dry-run\?/],
    [['--wokers', '3'], /unknown option --wokers; did you mean --workers\?/],
    [['MyNumberTask', '--some-parameter', '1', '--wokers', '3'], /unknown option --wokers; did you mean --workers\?/],
    [['MyNumberTask', '--some-paramter', '1'], /unknown option --some-paramter; did you mean --some-parameter\?/],
  ])('b2 run p.ts %j', (args, message) => {
    const result = run(project(), args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.output).not.toMatch(STACK_LINE);
  });

  it('an option before the pipeline file', () => {
    const result = runB2(['run', '--dryrun', 'p.ts'], { cwd: project() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option --dryrun; did you mean --dry-run\?/);
  });

  it('says when a flag is neither an option of b2 run nor a parameter of the task', () => {
    const result = run(project(), ['MyNumberTask', '--some-parameter', '1', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option --frobnicate: neither an option of b2 run nor a parameter of MyNumberTask/);
    expect(result.stderr).toMatch(/hint:.*MyNumberTask takes: --some-parameter/);
  });

  it('a real parameter given without the task name still says to name the task', () => {
    const result = run(project(), ['--some-parameter', '3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/given without a task name/);
  });
});

describe('--remove and --keep name families of the graph', () => {
  it.each([
    [['--remove', 'MyNumbrTask', '-y']],
    [['--remove-only', 'MyNumbrTask', '-y']],
    [['--remove', 'MyAverageTask', '--keep', 'MyNumbrTask', '-y']],
  ])('%j: an unknown family is an error suggesting the nearest one, and nothing is removed', (args) => {
    const dir = makeProject({ 'p.ts': averagePipeline() });
    expect(run(dir, []).code).toBe(0);
    const result = run(dir, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/MyNumbrTask is not a task family of this graph/);
    expect(result.stderr).toMatch(/hint:.*Did you mean MyNumberTask\?/);
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'some_parameter=3', 'number.txt'))).toBe(true);
  });
});

describe('a parameter named like a Task method', () => {
  it('run is a parameter (this.paramValues.run) and run() stays the task', () => {
    const dir = makeProject({
      'p.ts': `
import { writeFileSync } from 'node:fs';
import { Task, param } from 'b2';
export class Simulate extends Task.with({ run: param.int(), output: param.string({ default: 'mc' }) }) {
  *output() { yield this.addToOutput('events.txt'); }
  run() { writeFileSync(this.getOutputFileName('events.txt'), \`run \${this.paramValues.run} \${this.paramValues.output}\`); }
}
export default new Simulate({ run: 1 });
`,
    });
    const named = run(dir, ['Simulate', '--run', '7']);
    expect({ code: named.code, output: named.output }).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'run=7', 'output=mc', 'events.txt'), 'utf8')).toBe('run 7 mc');
    const byDefault = run(dir, []);
    expect({ code: byDefault.code, output: byDefault.output }).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(dir, 'run=1', 'output=mc', 'events.txt'), 'utf8')).toBe('run 1 mc');
  });
});

describe('NO_COLOR', () => {
  // `script` gives b2 a terminal, where colours and the live progress line are on.
  const inTerminal = (dir: string, args: string[], env: Record<string, string | undefined>): string => {
    const command = [process.execPath, B2_BIN, ...args].map((word) => `'${word}'`).join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: undefined, NO_COLOR: undefined, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return result.stdout;
  };
  const session = (env: Record<string, string | undefined>): string => {
    const dir = makeProject({ 'p.ts': averagePipeline({ failOn: 3 }) });
    return [
      inTerminal(dir, ['run', 'p.ts', '--workers', '2'], env),
      inTerminal(dir, ['run', 'p.ts', '--dry-run'], env),
      inTerminal(dir, ['run', 'p.ts', 'Nope'], env),
      inTerminal(dir, ['status'], env),
    ].join('\n');
  };

  it('a terminal without NO_COLOR gets colours (the check below can fail)', () => {
    expect(session({})).toContain('\x1b[');
  });

  it('no escape sequence at all when NO_COLOR is set, also in a terminal', () => {
    const output = session({ NO_COLOR: '1' });
    expect(output).toMatch(/failed: MyNumberTask\(some_parameter=3\)/);
    expect(output).not.toContain('\x1b');
  });
});

describe('b2 status exit codes', () => {
  it('0 for a run that succeeded, 1 for a run with failed tasks, 3 for a run whose runner died', () => {
    const dir = makeProject({ 'p.ts': averagePipeline({ failOn: 3 }) });
    expect(run(dir, []).code).toBe(1);
    const failed = runB2(['status'], { cwd: dir });
    expect(failed.stdout).toMatch(/failed/);
    expect(failed.code).toBe(1);

    const good = makeProject({ 'p.ts': averagePipeline() });
    expect(run(good, []).code).toBe(0);
    expect(runB2(['status'], { cwd: good }).code).toBe(0);

    // A runner killed outright leaves its run open.
    const dead = makeProject({
      'p.ts': `import { Task } from 'b2';
export class Hang extends Task { *output() { yield this.addToOutput('x'); } run() { process.kill(process.ppid, 'SIGKILL'); } }
export default new Hang();`,
    });
    run(dead, []);
    const died = runB2(['status'], { cwd: dead });
    expect(died.stdout).toMatch(/runner died/);
    expect(died.code).toBe(3);
  });
});

describe('messages about the graph', () => {
  it('"all complete" counts every task of the graph', () => {
    const dir = makeProject({ 'p.ts': averagePipeline() });
    expect(run(dir, []).code).toBe(0);
    const again = run(dir, []);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/All 11 task\(s\) are complete; nothing to do\./);
  });

  it('after --remove ... --keep, --dry-run and a run name the missing outputs that --show-output shows', () => {
    const dir = makeProject({ 'p.ts': averagePipeline() });
    expect(run(dir, []).code).toBe(0);
    const removed = run(dir, ['--remove', 'MyNumberTask', '--keep', 'MyAverageTask', '-y']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/are not made again while MyAverageTask is complete/);
    expect(run(dir, ['--show-output']).stdout).toMatch(/0 of 10 .*|✗ .*some_parameter=0.*number\.txt/);

    const dry = run(dir, ['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).not.toMatch(/All tasks are complete/);
    expect(dry.stdout).toMatch(/Nothing would run, but 10 task\(s\) are not complete/);
    expect(dry.stdout).toMatch(/MyNumberTask\n\tMissing output, not needed: MyNumberTask\(some_parameter=0\)/);

    const again = run(dir, []);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/All .* are complete/);
    expect(again.stdout).toMatch(/Nothing to do: 1 of 11 task\(s\) are complete, and the 10 others are not needed/);
  });
});

describe("b2's own errors while running a task", () => {
  const pipeline = `import { Task } from 'b2';
export class NoRun extends Task { *output() { yield this.addToOutput('x.txt'); } }
export default new NoRun();`;
  let clusters: FakeCluster[] = [];
  afterEach(() => {
    for (const cluster of clusters) cluster.cleanup();
    clusters = [];
  });

  const expectOwnError = (output: string) => {
    expect(output).toMatch(/failed: NoRun\(\)\n  task id: .*\n(  job id: .*\n)?  error:   NoRun has no run\(\) method\.\n  hint:    Define run\(\), or extend ExternalTask/);
    expect(output).not.toMatch(/line\(s\) of stderr/);
    expect(output).not.toMatch(/exited with code/);
  };

  it('locally: its message and hint, not the stderr tail', () => {
    const dir = makeProject({ 'p.ts': pipeline });
    const result = run(dir, []);
    expect(result.code).toBe(1);
    expectOwnError(result.stdout);
  });

  it('in a batch job: its message and hint, not "the task exited with code 1"', () => {
    const fake = createFakeCluster();
    clusters.push(fake);
    const dir = makeProject({ 'p.ts': pipeline });
    const result = runB2(['run', 'p.ts', '--batch', '--batch-system', 'htcondor', '--setting', 'poll_interval=0.3'], { cwd: dir, env: fake.env });
    expect(result.code).toBe(1);
    expectOwnError(result.stdout);
    expect(runB2(['status'], { cwd: dir }).stdout).toMatch(/NoRun has no run\(\) method/);
  });
});
