/** `b2 run pipeline.ts Task --help`: the task's parameters and own settings; without a task, the command's help. */
import { describe, expect, test } from '@jest/globals';
import { makeProject, runB2 } from '../helpers/b2.js';

const PIPELINE = `
import { Task, param } from 'b2-pipelines';

export class Analyse extends Task.with({
  energy: param.float({ description: 'beam energy in GeV' }),
  mode: param.choice(['fast', 'full'], { default: 'fast', description: 'how thorough' }),
  runs: param.list({ of: param.int(), default: [1, 2], hashed: 'b2luigi' }),
  note: param.string({ default: '', significant: false }),
  input_file: param.path({ default: '/data/x.root' }),
}) {
  memory() { return this.mode === 'full' ? '4GB' : '1GB'; }
  get batchSystem() { return 'slurm'; }
  run() {}
}

export class Plain extends Task {
  queue = 'short';
  run() {}
}
export default new Plain();
`;

describe('b2 run pipeline.ts Task --help', () => {
  const dir = makeProject({ 'p.ts': PIPELINE });

  test('lists each parameter with type, default, description, choices and how it enters ids and paths, then the task\'s settings', () => {
    const result = runB2(['run', 'p.ts', 'Analyse', '--help'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: b2 run p.ts Analyse [parameters] [options]');
    expect(result.stdout).toContain('--energy <float>  a number, required\n      beam energy in GeV');
    expect(result.stdout).toContain('--mode <choice>  one of "fast", "full", default: "fast"\n      how thorough');
    expect(result.stdout).toContain('--runs <list>  a list of integers, default: [1,2]\n      hashed in output paths (b2luigi\'s digest)');
    expect(result.stdout).toContain('--note <string>  a string, default: ""\n      not significant: not part of the task id\n      not part of output paths');
    expect(result.stdout).toContain('--input-file <path>  a path, default: "/data/x.root"\n      hashed in output paths');
    expect(result.stdout).toMatch(/Settings Analyse gives itself[^\n]*\n {2}batch_system \(getter batchSystem\)\n {2}memory \(method\)/);
    // Nothing ran.
    expect(result.stdout).not.toContain('task(s) ran');
  });

  test('class fields count as settings attributes', () => {
    const result = runB2(['run', 'p.ts', 'Plain', '-h'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Parameters of Plain:\n  (none)');
    expect(result.stdout).toContain('  queue (attribute)');
  });

  test('without a task, --help is the help of b2 run', () => {
    for (const args of [['run', '--help'], ['run', 'p.ts', '--help']]) {
      const result = runB2(args, { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: b2 run [options] <pipeline> [task] [parameters...]');
      expect(result.stdout).toContain('--dry-run');
    }
  });

  test('an unknown task is bad input, with the nearest name', () => {
    const result = runB2(['run', 'p.ts', 'Analyze', '--help'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('exports no task named "Analyze"');
    expect(result.stderr).toContain('Did you mean Analyse?');
  });

  test('b2 run without a pipeline is still a usage error', () => {
    const result = runB2(['run'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'pipeline'");
  });
});
