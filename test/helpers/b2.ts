/**
 * Drives the real `b2` binary (bin/b2.js over dist/, built by `npm test`)
 * on pipelines written into temporary folders.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const B2_BIN = path.join(ROOT, 'bin', 'b2.js');

export interface B2Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout + stderr, for messages that may go either way. */
  readonly output: string;
}

export const runB2 = (
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number },
): B2Result => {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env };
  // Never inherit the caller's b2 settings from the environment.
  for (const key of Object.keys(env)) if (key.startsWith('B2_') && !(options.env && key in options.env)) delete env[key];
  const result = spawnSync(process.execPath, [B2_BIN, ...args], {
    cwd: options.cwd,
    env,
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 120_000,
  });
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}${result.stderr}`,
  };
};

/** A temporary project folder with the given files (paths relative to it). */
export const makeProject = (files: Record<string, string>): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-e2e-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
};

/**
 * `count` independent tasks `Family(param=k)`, each writing `<param>=<k>/<file>`, under a
 * WrapperTask `All` that is the default export.
 */
export const leavesPipeline = (count: number, names: { family: string; param: string; file: string }): string => `
  import { writeFileSync } from 'node:fs';
  import { Task, WrapperTask, param } from 'b2';
  export class ${names.family} extends Task.with({ ${names.param}: param.int() }) {
    *output() { yield this.addToOutput('${names.file}'); }
    run() { writeFileSync(this.getOutputFileName('${names.file}'), String(this.${names.param})); }
  }
  export class All extends WrapperTask {
    *requires() { for (let k = 0; k < ${count}; k++) yield new ${names.family}({ ${names.param}: k }); }
  }
  export default new All();`;

/** A task that writes, as probe.json, what it finds in the job: cwd and the given environment variables. */
export const probePipeline = (variables: Record<string, string>): string => `
  import { writeFileSync } from 'node:fs';
  import { Task } from 'b2';
  export class Probe extends Task {
    *output() { yield this.addToOutput('probe.json'); }
    run() {
      writeFileSync(this.getOutputFileName('probe.json'), JSON.stringify({
        cwd: process.cwd(),
        ${Object.entries(variables).map(([key, name]) => `${key}: process.env.${name},`).join('\n        ')}
      }));
    }
  }
  export default new Probe();`;

/** The example pipeline in which MyNumberTask(some_parameter=5) fails its first `failures` attempts. */
export const flakyPipeline = (failures: number): string =>
  averagePipeline({
    body: `
      if (this.some_parameter === 5) {
        const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
        const counter = new URL('./attempts', import.meta.url);
        const attempts = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) + 1 : 1;
        writeFileSync(counter, String(attempts));
        if (attempts <= ${failures}) throw new Error('flaky attempt ' + attempts);
      }`,
  }).replace('run() {', 'async run() {');

/** The README example pipeline, with an optional failure injected into one task. */
export const averagePipeline = (options: { failOn?: number; body?: string } = {}): string => `
import { readFileSync, writeFileSync } from 'node:fs';
import { Task, param } from 'b2';

export class MyNumberTask extends Task.with({ some_parameter: param.int() }) {
  *output() { yield this.addToOutput('number.txt'); }
  run() {
    ${options.failOn === undefined ? '' : `if (this.some_parameter === ${options.failOn}) { console.error('about to fail'); throw new Error('some_parameter ${options.failOn} is not allowed'); }`}
    ${options.body ?? ''}
    console.log('number', this.some_parameter);
    writeFileSync(this.getOutputFileName('number.txt'), String(this.some_parameter ** 2));
  }
}

export class MyAverageTask extends Task {
  *requires() { for (let i = 0; i < 10; i++) yield new MyNumberTask({ some_parameter: i }); }
  *output() { yield this.addToOutput('average.txt'); }
  run() {
    const numbers = this.getInputFileNames('number.txt').map((f) => Number(readFileSync(f, 'utf8')));
    writeFileSync(this.getOutputFileName('average.txt'), String(numbers.reduce((a, b) => a + b, 0) / numbers.length));
  }
}

export default new MyAverageTask();
`;

/** A stack trace line, which user errors must not show without --verbose. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
