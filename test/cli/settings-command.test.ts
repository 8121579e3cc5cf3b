/**
 * `b2 settings` end to end, on the real binary: every effective value with
 * its source, for a task, a run, or the working directory.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { makeProject, runB2, STACK_LINE } from '../helpers/b2.js';

interface Row {
  key: string;
  value: unknown;
  source: string;
  description: string;
}

interface JsonView {
  scope: 'task' | 'run' | 'cwd';
  pipeline?: string;
  task?: string;
  settings: Row[];
}

const PIPELINE = `
import { Task, param } from 'b2';

export class Reco extends Task.with({ events: param.int() }) {
  jobName = 'reco';
  env = { TASK: 'reco' };
  // Bigger inputs need more memory: the value depends on the parameter.
  memory() { return this.events > 1000 ? '8GB' : '1GB'; }
  *output() { yield this.addToOutput('out.txt'); }
  run() {}
}

export class Plain extends Task {
  *output() { yield this.addToOutput('plain.txt'); }
  run() {}
}

export default new Reco({ events: 10 });
`;

const MULTI = `
import { Plain, Reco } from './pipeline.ts';
export { Plain, Reco };
export default [new Plain(), new Reco({ events: 5 })];
`;

/** A project (its root holds .git) with settings.json and .b2rc.json, and the analysis in a subfolder with its own settings.json. */
const project = (analysisSettings: Record<string, unknown> = { result_dir: '/data/r', retries: 2 }) => {
  const root = project_({
    '.git/HEAD': 'ref: refs/heads/main\n',
    'settings.json': JSON.stringify({ log_dir: '/site/logs', env: { SITE: 'desy' } }),
    '.b2rc.json': JSON.stringify({ queue: 'long' }),
    'ana/settings.json': JSON.stringify(analysisSettings),
    'ana/pipeline.ts': PIPELINE,
    'ana/multi.ts': MULTI,
  });
  return { root, ana: path.join(root, 'ana') };
};

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const project_ = (files: Record<string, string>): string => {
  const dir = makeProject(files);
  made.push(dir);
  return dir;
};

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `key = value  (source)` with any padding in between. */
const line = (key: string, value: string, source: string): RegExp =>
  new RegExp(`^${escape(key)} += ${escape(value)} +\\(${escape(source)}\\)$`, 'm');

const json = (stdout: string): JsonView => JSON.parse(stdout) as JsonView;
const row = (view: JsonView, key: string): Row | undefined => view.settings.find((r) => r.key === key);

describe('b2 settings', () => {
  it('prints every effective value of a task with its source, one per layer', () => {
    const { root, ana } = project();
    const result = runB2(['settings', 'pipeline.ts', 'Reco', '--events', '5000', '--setting', 'retries=4', '--log-dir', '/l'], {
      cwd: ana,
      env: { B2_WORKERS: '3' },
    });
    expect([result.code, result.stderr]).toEqual([0, '']);
    const out = result.stdout;
    expect(out.split('\n')[0]).toBe('Settings for task Reco(events=5000) of pipeline.ts:');
    expect(out).toMatch(line('result_dir', '"/data/r"', `settings.json: ${path.join(ana, 'settings.json')}`));
    expect(out).toMatch(line('log_dir', '"/l"', 'flag --log-dir'));
    expect(out).toMatch(line('retries', '4', 'flag --setting retries=4'));
    expect(out).toMatch(line('workers', '3', 'env B2_WORKERS'));
    expect(out).toMatch(line('queue', '"long"', `.b2rc.json: ${path.join(root, '.b2rc.json')}`));
    expect(out).toMatch(line('job_name', '"reco"', 'task Reco (attribute jobName)'));
    expect(out).toMatch(line('memory', '8192', 'task Reco (method memory)'));
    expect(out).toMatch(line('env', '{"SITE":"desy","TASK":"reco"}', `task Reco (attribute env) + settings.json: ${path.join(root, 'settings.json')}`));
    expect(out).toMatch(line('shell', '"bash"', 'default'));
    expect(out).toMatch(line('working_dir', JSON.stringify(ana), 'default'));
  });

  it('gives a task method the task\'s parameters', () => {
    const { ana } = project();
    const memory = (events: string): unknown =>
      row(json(runB2(['settings', 'pipeline.ts', 'Reco', '--events', events, '--json'], { cwd: ana }).stdout), 'memory')?.value;
    expect(memory('10')).toBe(1024);
    expect(memory('5000')).toBe(8192);
  });

  it('prints JSON for scripts with --json', () => {
    const { ana } = project();
    const result = runB2(['settings', 'pipeline.ts', 'Reco', '--events', '5000', '--json'], { cwd: ana });
    expect(result.code).toBe(0);
    const view = json(result.stdout);
    expect(view).toMatchObject({ scope: 'task', pipeline: 'pipeline.ts', task: 'Reco(events=5000)' });
    expect(row(view, 'memory')).toEqual({ key: 'memory', value: 8192, source: 'task Reco (method memory)', description: expect.any(String) });
    expect(row(view, 'result_dir')).toMatchObject({ value: '/data/r', source: `settings.json: ${path.join(ana, 'settings.json')}` });
    // Table order, every known setting with a value or a default.
    expect(view.settings.map((r) => r.key).slice(0, 3)).toEqual(['result_dir', 'log_dir', 'task_file_dir']);
  });

  it('without a task, shows the default export when it is a single task, and says so', () => {
    const { ana } = project();
    const result = runB2(['settings', 'pipeline.ts'], { cwd: ana });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Settings for the default export Reco(events=10) of pipeline.ts:');
    expect(result.stdout).toMatch(line('memory', '1024', 'task Reco (method memory)'));
  });

  it('without a task and several default tasks, shows the run without any task layer', () => {
    const { ana } = project();
    const text = runB2(['settings', 'multi.ts'], { cwd: ana });
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^Settings for the run of multi\.ts \(its default export has 2 tasks/);
    const view = json(runB2(['settings', 'multi.ts', '--json'], { cwd: ana }).stdout);
    expect(view.scope).toBe('run');
    expect(view.task).toBeUndefined();
    expect(row(view, 'memory')).toBeUndefined();
    expect(row(view, 'job_name')).toBeUndefined();
    expect(row(view, 'env')).toMatchObject({ value: { SITE: 'desy' } });
  });

  it('without a pipeline, shows the settings as seen from the working directory, files found upward', () => {
    const { root, ana } = project();
    const result = runB2(['settings', '--json', '--batch-system', 'lsf'], { cwd: ana });
    expect(result.code).toBe(0);
    const view = json(result.stdout);
    expect(view.scope).toBe('cwd');
    expect(row(view, 'result_dir')).toMatchObject({ value: '/data/r', source: `settings.json: ${path.join(ana, 'settings.json')}` });
    expect(row(view, 'log_dir')).toMatchObject({ value: '/site/logs', source: `settings.json: ${path.join(root, 'settings.json')}` });
    expect(row(view, 'batch_system')).toMatchObject({ value: 'lsf', source: 'flag --batch-system' });
    expect(row(view, 'working_dir')).toMatchObject({ value: ana });
  });

  it('warns about unknown keys with the nearest name, and about old names whose value it uses', () => {
    const { ana } = project({ result_path: '/old/r', poll_intervall: 3 });
    const result = runB2(['settings', '--json'], { cwd: ana });
    expect(result.code).toBe(0);
    const file = path.join(ana, 'settings.json');
    expect(result.stderr).toContain(`warning: The setting name result_path (in settings.json: ${file}) is deprecated; use result_dir instead.`);
    expect(result.stderr).toContain(`warning: Unknown setting poll_intervall (in settings.json: ${file}): did you mean poll_interval?`);
    expect(row(json(result.stdout), 'result_dir')).toMatchObject({ value: '/old/r' });
  });

  it('rejects a bad value in settings.json with exit 2 and one readable message naming key, file, path and type', () => {
    const { ana } = project({ retries: 'many' });
    const result = runB2(['settings', 'pipeline.ts', 'Reco', '--events', '1'], { cwd: ana });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `error: Bad value for setting retries (from settings.json: ${path.join(ana, 'settings.json')}, at $.retries): "many" is not an integer ≥ 0.`,
    );
    expect(result.stderr).toMatch(/hint: +retries: extra attempts/);
    expect(result.output).not.toMatch(STACK_LINE);
  });

  it('rejects a bad value from a dedicated flag or a task method, naming where it came from', () => {
    const { ana } = project();
    const flag = runB2(['settings', '--batch-system', 'kubernetes'], { cwd: ana });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('Bad value for setting batch_system (from flag --batch-system): "kubernetes" is not one of "auto"');

    const dir = project_({
      'p.ts': `import { Task } from 'b2';\nexport class T extends Task { memory() { return 'plenty'; } }\nexport default new T();\n`,
    });
    const task = runB2(['settings', 'p.ts'], { cwd: dir });
    expect(task.code).toBe(2);
    expect(task.stderr).toContain('Bad value for setting memory (from task T (method memory)): "plenty" is not megabytes');
    expect(task.output).not.toMatch(STACK_LINE);
  });

  it('rejects an unknown option and an unknown task like b2 run does', () => {
    const { ana } = project();
    const option = runB2(['settings', '--bogus'], { cwd: ana });
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('Unknown option --bogus for b2 settings.');
    const task = runB2(['settings', 'pipeline.ts', 'Rec'], { cwd: ana });
    expect(task.code).toBe(2);
    expect(task.stderr).toMatch(/exports no task named "Rec"[\s\S]*Did you mean Reco\?/);
  });
});
