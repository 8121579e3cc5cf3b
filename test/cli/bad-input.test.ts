import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { averagePipeline, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';

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

  it('shows the stack trace with --verbose', () => {
    const dir = makeProject({ 'p.ts': averagePipeline() });
    const result = runB2(['run', 'p.ts', 'Nope', '--verbose'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(STACK_LINE);
  });
});
