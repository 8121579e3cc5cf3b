import { describe, expect, it } from '@jest/globals';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { averagePipeline, B2_BIN, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';
import { journalEntries } from '../helpers/runs.js';

describe('b2 run (local workers)', () => {
  it('runs the example end to end, in the b2luigi layout, and skips it the second time', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline(), 'settings.json': '{"result_dir": "results"}' });
    const first = runB2(['run', 'pipeline.ts', '--workers', '4'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(readFileSync(path.join(dir, 'results', 'average.txt'), 'utf8')).toBe('28.5');
    expect(readFileSync(path.join(dir, 'results', 'some_parameter=3', 'number.txt'), 'utf8')).toBe('9');
    expect(readFileSync(path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask', 'stdout'), 'utf8')).toBe('number 3\n');
    expect(first.stdout).toMatch(/MyAverageTask\s+0\s+1\s+0\s+0/);
    expect(first.stdout).toMatch(/MyNumberTask\s+0\s+10\s+0\s+0/);
    const second = runB2(['run', 'pipeline.ts'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to do');
  });

  it.each([[[]], [['--batch', '--batch-system', 'local']]])("reads b2's package.json through its package name, with or without the JSON import attribute (%j)", (mode) => {
    const files: Record<string, string> = {};
    for (const [name, attribute] of [['B', ''], ['C', " with { type: 'json' }"]] as const) {
      files[`${name}.ts`] = `import { writeFileSync } from 'node:fs';
import { Task } from 'b2-pipelines';
import own from 'b2-pipelines/package.json'${attribute};
export class ${name} extends Task {
  *output() { yield this.addToOutput('name.txt'); }
  run() { writeFileSync(this.getOutputFileName('name.txt'), own.name); }
}
export default new ${name}();
`;
    }
    const dir = makeProject(files);
    for (const name of ['B', 'C']) {
      const result = runB2(['run', `${name}.ts`, '--result-dir', name, ...mode], { cwd: dir });
      expect(result.output).not.toContain('error');
      expect(result.code).toBe(0);
      expect(readFileSync(path.join(dir, name, 'name.txt'), 'utf8')).toBe('b2-pipelines');
    }
  });

  it('settles a WrapperTask without a worker or log folder of its own, but runs one that has its own run()', () => {
    const dir = makeProject({
      'pipeline.ts': `
        import { writeFileSync } from 'node:fs';
        import { Task, WrapperTask, param } from 'b2';
        export class Leaf extends Task.with({ i: param.int() }) {
          *output() { yield this.addToOutput('leaf.txt'); }
          run() { writeFileSync(this.getOutputFileName('leaf.txt'), String(this.i)); }
        }
        export class Plain extends WrapperTask {
          *requires() { yield new Leaf({ i: 1 }); yield new Leaf({ i: 2 }); }
        }
        export class Announcing extends WrapperTask {
          *requires() { yield new Plain(); }
          run() { console.log('all leaves done'); }
        }
        export default new Announcing();`,
    });
    const result = runB2(['run', 'pipeline.ts'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Plain\s+0\s+1\s+0\s+0/);
    expect(readdirSync(path.join(dir, 'logs')).sort()).toEqual(['Announcing', 'i=1', 'i=2']);
    expect(readFileSync(path.join(dir, 'logs', 'Announcing', 'stdout'), 'utf8')).toBe('all leaves done\n');
  });

  it('keeps independent branches going after a failure and names the failed task with its logs', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ failOn: 3 }) });
    const result = runB2(['run', 'pipeline.ts', '-w', '2'], { cwd: dir });
    expect(result.code).toBe(1);
    for (const n of [0, 1, 2, 4, 5, 6, 7, 8, 9]) expect(existsSync(path.join(dir, `some_parameter=${n}`, 'number.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'some_parameter=3', 'number.txt'))).toBe(false);
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(false);
    expect(result.stdout).toContain('failed: MyNumberTask(some_parameter=3)');
    expect(result.stdout).toContain('error:   some_parameter 3 is not allowed');
    expect(result.stdout).toContain(path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask', 'stderr'));
    expect(result.stdout).toContain('| about to fail');
    expect(result.stdout).toMatch(/MyAverageTask\s+0\s+0\s+0\s+1/);
    // The temporary output of the failed task was cleaned up.
    expect(readdirSync(path.join(dir, 'some_parameter=3'))).toEqual([]);
  });

  it('survives a task that calls process.exit or is killed: only that task fails', () => {
    const body = `
      if (this.some_parameter === 4) process.exit(5);
      if (this.some_parameter === 6) process.kill(process.pid, 'SIGKILL');`;
    const dir = makeProject({ 'pipeline.ts': averagePipeline({ body }) });
    const result = runB2(['run', 'pipeline.ts', '-w', '3'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("the task's worker process exited with code 5");
    expect(result.stdout).toContain("the task's worker process was killed by SIGKILL");
    for (const n of [0, 1, 2, 3, 5, 7, 8, 9]) expect(existsSync(path.join(dir, `some_parameter=${n}`, 'number.txt'))).toBe(true);
    expect(result.stdout).toMatch(/MyNumberTask\s+0\s+8\s+2\s+0/);
  });

  it('a task killed mid-write leaves no output that counts as complete, whichever way it got the paths', () => {
    const dir = makeProject({
      'pipeline.ts': `
        import { writeFileSync } from 'node:fs';
        import { Task, WrapperTask, param } from 'b2';
        export class Half extends Task.with({ route: param.string() }) {
          *output() { yield this.addToOutput('data.txt'); }
          run() {
            const file = this.route === 'all' ? this.getAllOutputFileNames()[0] : [...this.output()][0].path;
            writeFileSync(file, 'trunc');
            process.kill(process.pid, 'SIGKILL');
          }
        }
        export class Both extends WrapperTask {
          *requires() { yield new Half({ route: 'all' }); yield new Half({ route: 'output' }); }
        }
        export default new Both();`,
    });
    const result = runB2(['run', 'pipeline.ts', '-w', '2'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('was killed by SIGKILL');
    for (const route of ['all', 'output']) expect(existsSync(path.join(dir, `route=${route}`, 'data.txt'))).toBe(false);
    const again = runB2(['run', 'pipeline.ts', '--dry-run'], { cwd: dir });
    expect(again.code).toBe(1);
  });

  it('a log folder this user may not write to (EACCES) fails that task with the path and the cause; the others run', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    // Root writes anywhere: b2 then runs as nobody, who owns the project but not one task's log folder.
    const asRoot = process.getuid?.() === 0;
    const NOBODY = 65534;
    const locked = path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask');
    mkdirSync(locked, { recursive: true });
    if (asRoot) for (const folder of [dir, path.join(dir, 'logs')]) chownSync(folder, NOBODY, NOBODY);
    const result = spawnSync(process.execPath, [B2_BIN, 'run', 'pipeline.ts', '-w', '2'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', HOME: dir },
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status).toBe(1);
    expect(output).not.toMatch(STACK_LINE);
    expect(result.stdout).toContain(`cannot write its log file ${path.join(locked, 'stdout')}: permission denied (EACCES)`);
    expect(existsSync(path.join(dir, 'some_parameter=3', 'number.txt'))).toBe(false);
    expect(readFileSync(path.join(dir, 'some_parameter=4', 'number.txt'), 'utf8')).toBe('16');
    expect(journalEntries(dir).at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1 });
  });

  it.each([[[]], [['--batch', '--batch-system', 'local']]])('a file where one task\'s log folder should be fails that task naming the folder (%j); the others run', (mode) => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const taken = path.join(dir, 'logs', 'some_parameter=3', 'MyNumberTask');
    mkdirSync(path.dirname(taken), { recursive: true });
    writeFileSync(taken, 'mine');
    const result = runB2(['run', 'pipeline.ts', '-w', '2', ...mode], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.output).not.toMatch(STACK_LINE);
    expect(result.output).toContain(`cannot write its log folder ${taken}: file already exists (EEXIST)`);
    expect(readFileSync(taken, 'utf8')).toBe('mine');
    expect(existsSync(path.join(dir, 'some_parameter=3', 'number.txt'))).toBe(false);
    expect(readFileSync(path.join(dir, 'some_parameter=4', 'number.txt'), 'utf8')).toBe('16');
  });

  it('a log that cannot be written (a full disk) fails that task with the path and the cause; the others run, the journal is closed', () => {
    const dir = makeProject({
      'pipeline.ts': `
        import { spawnSync } from 'node:child_process';
        import { writeFileSync } from 'node:fs';
        import { Task, WrapperTask, param } from 'b2';
        export class Chatty extends Task.with({ how: param.string() }) {
          *output() { yield this.addToOutput('out.txt'); }
          async run() {
            // Output of a program the task starts reaches the log through the runner, the task's own through its worker.
            if (this.how === 'child') spawnSync('echo', ['from a child'], { stdio: 'inherit' });
            else console.log('from the task');
            await new Promise((resolve) => setTimeout(resolve, 300));
            writeFileSync(this.getOutputFileName('out.txt'), this.how);
          }
        }
        export class All extends WrapperTask {
          *requires() { for (const how of ['task', 'child', 'open', 'fine']) yield new Chatty({ how }); }
        }
        export default new All();`,
    });
    // Writes to /dev/full fail with ENOSPC, as on a full disk.
    for (const how of ['task', 'child']) {
      mkdirSync(path.join(dir, 'logs', `how=${how}`, 'Chatty'), { recursive: true });
      symlinkSync('/dev/full', path.join(dir, 'logs', `how=${how}`, 'Chatty', 'stdout'));
    }
    // A folder where the log file should be: it cannot even be opened.
    mkdirSync(path.join(dir, 'logs', 'how=open', 'Chatty', 'stdout'), { recursive: true });
    const result = runB2(['run', 'pipeline.ts', '-w', '4'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.output).not.toMatch(STACK_LINE);
    for (const how of ['task', 'child']) {
      expect(result.stdout).toContain(`cannot write its log file ${path.join(dir, 'logs', `how=${how}`, 'Chatty', 'stdout')}: no space left on device (ENOSPC)`);
    }
    expect(result.stdout).toContain(`cannot write its log file ${path.join(dir, 'logs', 'how=open', 'Chatty', 'stdout')}: illegal operation on a directory (EISDIR)`);
    for (const how of ['task', 'child', 'open']) expect(existsSync(path.join(dir, `how=${how}`, 'out.txt'))).toBe(false);
    expect(readFileSync(path.join(dir, 'how=fine', 'out.txt'), 'utf8')).toBe('fine');
    expect(result.stdout).toMatch(/Chatty\s+0\s+1\s+3\s+0/);
    expect(journalEntries(dir).at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1 });
  });

  it('--test runs in-process with output on the terminal', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const result = runB2(['run', 'pipeline.ts', '--test'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('number 7');
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(true);
  });

  it('runs a named task with typed parameters from the command line', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const result = runB2(['run', 'pipeline.ts', 'MyNumberTask', '--some-parameter', '12'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(dir, 'some_parameter=12', 'number.txt'), 'utf8')).toBe('144');
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(false);
  });

  it('--dry-run lists what would run and exits 1 while work is pending, 0 when none is', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    const pending = runB2(['run', 'pipeline.ts', '--dry-run'], { cwd: dir });
    expect(pending.code).toBe(1);
    expect(pending.stdout).toContain('MyNumberTask\n\tWould run MyNumberTask(some_parameter=');
    expect(pending.stdout).toContain('In total 11 task(s) would run.');
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(false);
    expect(runB2(['run', 'pipeline.ts'], { cwd: dir }).code).toBe(0);
    const done = runB2(['run', 'pipeline.ts', '--dry-run'], { cwd: dir });
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('nothing would run');
  });

  it('--show-output lists every output and whether it exists', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    runB2(['run', 'pipeline.ts', 'MyNumberTask', '--some-parameter', '2'], { cwd: dir });
    const result = runB2(['run', 'pipeline.ts', '--show-output'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`✓ ${path.join(dir, 'some_parameter=2', 'number.txt')}`);
    expect(result.stdout).toContain(`✗ ${path.join(dir, 'some_parameter=3', 'number.txt')}`);
    expect(result.stdout).toContain('1 of 11 output file(s) exist.');
  });

  it('--remove deletes a family and everything downstream; --keep and --remove-only narrow it', () => {
    const dir = makeProject({ 'pipeline.ts': averagePipeline() });
    expect(runB2(['run', 'pipeline.ts'], { cwd: dir }).code).toBe(0);
    const refused = runB2(['run', 'pipeline.ts', '--remove', 'MyNumberTask'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Add -y');
    const keep = runB2(['run', 'pipeline.ts', '--remove', 'MyNumberTask', '--keep', 'MyAverageTask', '-y'], { cwd: dir });
    expect(keep.code).toBe(0);
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'some_parameter=1', 'number.txt'))).toBe(false);
    expect(runB2(['run', 'pipeline.ts', '--remove-only', 'MyAverageTask', '-y'], { cwd: dir }).code).toBe(0);
    expect(runB2(['run', 'pipeline.ts'], { cwd: dir }).code).toBe(0);
    expect(existsSync(path.join(dir, 'some_parameter=1', 'number.txt'))).toBe(true);
    expect(runB2(['run', 'pipeline.ts', '--remove-only', 'MyAverageTask', '-y'], { cwd: dir }).code).toBe(0);
    expect(existsSync(path.join(dir, 'average.txt'))).toBe(false);
    expect(existsSync(path.join(dir, 'some_parameter=1', 'number.txt'))).toBe(true);
    const all = runB2(['run', 'pipeline.ts', '--remove', 'MyNumberTask', '-y'], { cwd: dir });
    expect(all.stdout).toContain('Removed the outputs of 11 task(s).');
    const unknown = runB2(['run', 'pipeline.ts', '--remove', 'Nope', '-y'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Nope is not a task family of this graph');
  });

  it('loads .mjs, .cjs and multi-file pipelines, sharing the CLI\'s Task class', () => {
    const dir = makeProject({
      'lib/helper.ts': `export const twice = (n: number): number => 2 * n;\n`,
      'multi.ts': `
        import { writeFileSync } from 'node:fs';
        import { Task } from 'b2';
        import { twice } from './lib/helper';
        export class Multi extends Task {
          *output() { yield this.addToOutput('multi.txt'); }
          run() { writeFileSync(this.getOutputFileName('multi.txt'), String(twice(21)) + ' ' + import.meta.filename); }
        }
        export default new Multi();`,
      'plain.mjs': `
        import { writeFileSync } from 'node:fs';
        import { Task } from 'b2';
        export class Plain extends Task {
          *output() { yield this.addToOutput('plain.txt'); }
          run() { writeFileSync(this.getOutputFileName('plain.txt'), 'esm'); }
        }
        export default () => [new Plain()];`,
      'old.cjs': `
        const { writeFileSync } = require('node:fs');
        const { Task } = require('b2');
        class Old extends Task {
          *output() { yield this.addToOutput('old.txt'); }
          run() { writeFileSync(this.getOutputFileName('old.txt'), 'cjs'); }
        }
        module.exports = { Old, default: new Old() };`,
    });
    expect(runB2(['run', 'multi.ts'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(path.join(dir, 'multi.txt'), 'utf8')).toBe(`42 ${path.join(dir, 'multi.ts')}`);
    expect(runB2(['run', 'plain.mjs'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(path.join(dir, 'plain.txt'), 'utf8')).toBe('esm');
    const cjs = runB2(['run', 'old.cjs'], { cwd: dir });
    expect(cjs.output).not.toMatch(STACK_LINE);
    expect(cjs.code).toBe(0);
    expect(readFileSync(path.join(dir, 'old.txt'), 'utf8')).toBe('cjs');
  });

  it('resolves a relative result_dir against the pipeline folder, not the working directory', () => {
    const dir = makeProject({ 'sub/pipeline.ts': averagePipeline(), 'sub/settings.json': '{}' });
    const result = runB2(['run', 'sub/pipeline.ts', '--result-dir', 'out'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(existsSync(path.join(dir, 'sub', 'out', 'average.txt'))).toBe(true);
  });
});
