/** Renders job wrappers into a temp folder and runs them with bash, as a batch job would. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderJobWrapper, type WrapperSpec } from '../../src/wrapper/wrapper.js';

export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class WrapperFixture {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'b2-wrapper-'));
  readonly logDir = path.join(this.root, 'logs');
  readonly workDir = path.join(this.root, 'work dir');
  readonly statusFile = path.join(this.logDir, 'exit_status');
  readonly wrapperPath = path.join(this.root, 'job.sh');

  constructor() {
    mkdirSync(this.logDir);
    mkdirSync(this.workDir);
  }

  /** Write the wrapper for `command`; `overrides` replace the defaults of the spec. */
  write(command: readonly string[], overrides: Partial<WrapperSpec> = {}): string {
    const spec: WrapperSpec = {
      taskId: 'Task_1_abc',
      shell: 'bash',
      workingDir: this.workDir,
      env: {},
      command,
      exitStatusFile: this.statusFile,
      ...overrides,
    };
    writeFileSync(this.wrapperPath, renderJobWrapper(spec));
    chmodSync(this.wrapperPath, 0o755);
    return this.wrapperPath;
  }

  /** Run the wrapper in `cwd` (default: this process's) with `env` (default: this process's), as the batch system starts it. */
  run(command: readonly string[], overrides: Partial<WrapperSpec> = {}, cwd?: string, env?: NodeJS.ProcessEnv): Outcome {
    this.write(command, overrides);
    const result = spawnSync(this.wrapperPath, [], {
      encoding: 'utf8',
      timeout: 30_000,
      ...(cwd === undefined ? {} : { cwd }),
      ...(env === undefined ? {} : { env }),
    });
    if (result.error) throw result.error;
    return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  }

  /** Start the wrapper in its own process group, as batch systems do. */
  start(command: readonly string[], overrides: Partial<WrapperSpec> = {}, env?: NodeJS.ProcessEnv): ChildProcess {
    this.write(command, overrides);
    return spawn(this.wrapperPath, [], { detached: true, stdio: 'ignore', ...(env === undefined ? {} : { env }) });
  }

  /** The recorded exit status text, or undefined when the file is absent. */
  status(): string | undefined {
    return existsSync(this.statusFile) ? readFileSync(this.statusFile, 'utf8') : undefined;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A node command line: `node -e <script> -- <args...>` (`--` so node takes no arg as its own option). */
export const nodeCommand = (script: string, ...args: string[]): string[] => [process.execPath, '-e', script, '--', ...args];

export const waitFor = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

export const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
