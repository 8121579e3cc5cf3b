/**
 * The install path a user takes: the package as npm would publish it (an
 * `npm pack` tarball of the built tree), installed into a fresh project with
 * its dependencies from the registry, a pipeline importing it by its npm
 * name, and `npx b2 run` there.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/b2.js';

const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };

const npm = (args: readonly string[], cwd: string) => {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 400_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
};

const PIPELINE = `import { writeFileSync, readFileSync } from 'node:fs';
import { Task, param } from '${PACKAGE.name}';

export class Square extends Task.with({ n: param.int() }) {
  *output() { yield this.addToOutput('square.txt'); }
  run() { writeFileSync(this.getOutputFileName('square.txt'), String(this.n * this.n)); }
}

export class Total extends Task {
  *requires() { for (let n = 1; n <= 3; n++) yield new Square({ n }); }
  *output() { yield this.addToOutput('total.txt'); }
  run() {
    const sum = this.getInputFileNames('square.txt').reduce((s, f) => s + Number(readFileSync(f, 'utf8')), 0);
    writeFileSync(this.getOutputFileName('total.txt'), String(sum));
  }
}

export default new Total();
`;

describe('installing b2 from its npm tarball', () => {
  test('npm install <tarball> in a fresh project, then npx b2 run a pipeline that imports the package by name', () => {
    expect(PACKAGE.name).not.toBe('b2');
    expect(PACKAGE.bin.b2).toBeDefined();
    expect(existsSync(path.join(ROOT, 'dist', 'index.js'))).toBe(true);
    const packDir = mkdtempSync(path.join(os.tmpdir(), 'b2-pack-'));
    // dist/ is built already (tests run over it): pack it as is.
    const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], ROOT)) as { filename: string }[];
    const tarball = path.join(packDir, packed[0]!.filename);

    const project = mkdtempSync(path.join(os.tmpdir(), 'b2-user-project-'));
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-analysis', private: true, type: 'module' }));
    npm(['install', '--no-audit', '--no-fund', '--save-dev', tarball], project);
    writeFileSync(path.join(project, 'pipeline.ts'), PIPELINE);

    const run = spawnSync('npx', ['--no-install', 'b2', 'run', 'pipeline.ts'], { cwd: project, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(`${run.stdout}${run.stderr}`).toContain('4 task(s) ran');
    expect(run.status).toBe(0);
    expect(readFileSync(path.join(project, 'total.txt'), 'utf8')).toBe('14');
    // The b2 that ran is the installed one, not this checkout.
    expect(readFileSync(path.join(project, 'node_modules', PACKAGE.name, 'package.json'), 'utf8')).toContain(`"name": "${PACKAGE.name}"`);
  }, 600_000);
});
