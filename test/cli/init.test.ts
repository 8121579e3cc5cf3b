/** `b2 init`: a starter project that runs as written, locally and as batch jobs; existing files are kept unless --force. */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runB2 } from '../helpers/b2.js';
import { FAST, useFakeClusters } from '../helpers/simulators.js';

const fresh = (): string => mkdtempSync(path.join(os.tmpdir(), 'b2-init-'));

describe('b2 init', () => {
  const cluster = useFakeClusters();

  test('writes pipeline.ts, settings.json and .gitignore into a new folder, says what to run next, and the pipeline runs', () => {
    const parent = fresh();
    const init = runB2(['init', 'my-analysis'], { cwd: parent });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const dir = path.join(parent, 'my-analysis');
    expect(init.stdout).toContain(`Wrote pipeline.ts, settings.json, .gitignore in ${dir}.`);
    expect(init.stdout).toContain('cd my-analysis\n');
    expect(init.stdout).toContain('npx b2 run pipeline.ts');
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['results/', 'logs/', 'task_files/', '.b2/']));
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'))).toMatchObject({ result_dir: 'results' });
    expect(readFileSync(path.join(dir, 'pipeline.ts'), 'utf8')).toContain("from 'b2-pipelines'");

    const run = runB2(['run', 'pipeline.ts'], { cwd: dir });
    expect(run.output).toContain('6 task(s) ran');
    expect(run.code).toBe(0);
    expect(readFileSync(path.join(dir, 'results', 'events=1000', 'samples=5', 'summary.txt'), 'utf8')).toMatch(/^5000 events, mean energy \d\.\d{3} GeV\n$/);
    const again = runB2(['run', 'pipeline.ts'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.output).not.toContain('task(s) ran');
  });

  test('the starter pipeline runs as batch jobs (HTCondor simulator)', () => {
    const dir = fresh();
    expect(runB2(['init'], { cwd: dir }).code).toBe(0);
    const run = runB2(['run', 'pipeline.ts', 'Summarise', '--samples', '2', '--batch', '--batch-system', 'htcondor', ...FAST], {
      cwd: dir,
      env: cluster().env,
      timeoutMs: 180_000,
    });
    expect(run.output).toContain('3 task(s) ran');
    expect(run.code).toBe(0);
    expect(existsSync(path.join(dir, 'results', 'events=1000', 'samples=2', 'summary.txt'))).toBe(true);
  }, 200_000);

  test('refuses to overwrite existing files, naming them (exit 2); --force overwrites', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'settings.json'), '{"workers": 9}');
    const refused = runB2(['init', dir], { cwd: os.tmpdir() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`b2 init would overwrite ${path.join(dir, 'settings.json')}.`);
    expect(refused.stderr).toContain('--force');
    expect(existsSync(path.join(dir, 'pipeline.ts'))).toBe(false);
    expect(readFileSync(path.join(dir, 'settings.json'), 'utf8')).toBe('{"workers": 9}');

    const forced = runB2(['init', dir, '--force'], { cwd: os.tmpdir() });
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'))).toMatchObject({ workers: 4 });
  });

  test('a file where the folder should be is bad input', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'taken'), '');
    const result = runB2(['init', 'taken'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a folder');
  });

  test('a folder that cannot be made is bad input at once, naming the folder and why (it used to spin forever below /proc)', () => {
    const result = runB2(['init', '/proc/b2-init-cannot-be-made/project'], { cwd: os.tmpdir(), timeoutMs: 20_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot write the project folder /proc/b2-init-cannot-be-made/project: no such file or directory (ENOENT)');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
