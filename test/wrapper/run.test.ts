/** Runs rendered wrappers with bash and checks what reaches the task and what gets recorded. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExitStatus } from '../../src/wrapper/wrapper.js';
import { nodeCommand, WrapperFixture } from './fixture.js';

// Values a naive wrapper would mangle: quoting, expansion, word splitting, history, unicode.
const NASTY = [
  "it's",
  '"double"',
  '$(touch PWNED)',
  '`touch PWNED`',
  '${HOME}',
  '$HOME',
  'two  spaces',
  'line1\nline2\n',
  'back\\slash\\',
  '!bang !! !$',
  'ünïcödé 日本 🎉',
  '*',
  '~',
  '',
  ' ',
  '\t',
  '--',
  '-e',
  '%s %d',
  "'; touch PWNED; '",
  '{{command}}',
];

// Prints its argv, the env vars named in B2T_NAMES and its cwd as JSON.
const REPORT = `
const names = (process.env.B2T_NAMES ?? '').split(',').filter(Boolean);
process.stdout.write('\\nREPORT' + JSON.stringify({
  argv: process.argv.slice(1),
  env: Object.fromEntries(names.map((n) => [n, process.env[n] ?? null])),
  cwd: process.cwd(),
}) + '\\n');`;

const report = (stdout: string): { argv: string[]; env: Record<string, string | null>; cwd: string } =>
  JSON.parse(stdout.split('\n').find((line) => line.startsWith('REPORT'))?.slice('REPORT'.length) ?? 'null');

let fx: WrapperFixture;
beforeEach(() => {
  fx = new WrapperFixture();
});
afterEach(() => fx.cleanup());

describe('job wrapper: what reaches the task', () => {
  it('passes every argument and env value literally', () => {
    const env: Record<string, string> = { B2T_NAMES: '' };
    NASTY.forEach((value, i) => {
      env[`NASTY_${i}`] = value;
    });
    env.B2T_NAMES = Object.keys(env).join(',');

    const out = fx.run(nodeCommand(REPORT, ...NASTY), { env, taskId: "Task_'$(touch PWNED)'" });

    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const seen = report(out.stdout);
    expect(seen.argv).toEqual(NASTY);
    expect(seen.env).toEqual(env);
    // Nothing was executed by a shell along the way.
    for (const dir of [fx.root, fx.workDir, fx.logDir, process.cwd()]) {
      expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    }
  });

  it('runs in working_dir, also when its name needs quoting', () => {
    const out = fx.run(nodeCommand(REPORT), { workingDir: fx.workDir });
    expect(report(out.stdout).cwd).toBe(fx.workDir);
    expect(fx.workDir).toContain(' ');
  });

  it('stays in the folder the batch system started it in when it has no working_dir', () => {
    const sandbox = path.join(fx.root, 'sandbox');
    mkdirSync(sandbox);
    const out = fx.run(nodeCommand(REPORT), { workingDir: undefined }, sandbox);
    expect(out.code).toBe(0);
    expect(report(out.stdout).cwd).toBe(sandbox);
    expect(out.stdout).toContain(`b2: working directory ${sandbox}\n`);
  });

  it('sources env_script before exporting env entries, so entries win', () => {
    const script = path.join(fx.root, "setup 'env'.sh");
    writeFileSync(script, 'export FROM_SCRIPT="set by $(basename "$BASH_SOURCE")"\nexport BOTH=script\nLOCAL_ONLY=1\n');
    const out = fx.run(nodeCommand(REPORT), {
      envScript: script,
      env: { BOTH: 'entry', B2T_NAMES: 'FROM_SCRIPT,BOTH,LOCAL_ONLY' },
    });
    expect(out.code).toBe(0);
    expect(report(out.stdout).env).toEqual({ FROM_SCRIPT: "set by setup 'env'.sh", BOTH: 'entry', LOCAL_ONLY: null });
    expect(out.stdout).toContain(`b2: sourcing the env script ${script}\n`);
  });

  it('passes stdin through and leaves SIGINT and SIGQUIT as the task found them', () => {
    // grep shows the signal mask the task starts with (node would reset it at startup).
    fx.write(['bash', '-c', 'grep SigIgn /proc/self/status; cat']);
    const result = spawnSync(fx.wrapperPath, [], { input: 'from stdin\n', encoding: 'utf8' });
    const mask = BigInt('0x' + (/SigIgn:\s*([0-9a-f]+)/.exec(result.stdout)?.[1] ?? 'ffff'));
    const intAndQuit = (1n << 1n) | (1n << 2n); // bits for signals 2 and 3
    expect(mask & intAndQuit).toBe(0n);
    expect(result.stdout).toContain('from stdin\n');
    expect(result.status).toBe(0);
  });
});

describe('job wrapper: what gets recorded', () => {
  it.each([0, 3, 255])('records exit status %i and exits with it', (status) => {
    const out = fx.run(nodeCommand(`process.exit(${status})`));
    expect(out.code).toBe(status);
    expect(fx.status()).toBe(`${status}\n`);
    expect(parseExitStatus(fx.status() ?? '')).toBe(status);
    expect(out.stdout).toContain(`with exit status ${status}\n`);
  });

  it('records 99 and 100 but exits 1, which Grid Engine neither requeues nor parks', () => {
    for (const status of [99, 100]) {
      const out = fx.run(['bash', '-c', `exit ${status}`]);
      expect(fx.status()).toBe(`${status}\n`);
      expect(out.code).toBe(1);
    }
  });

  it('records 128+n for a task killed by signal n while the wrapper lives on', () => {
    expect(fx.run(nodeCommand("process.kill(process.pid, 'SIGTERM')")).code).toBe(143);
    expect(fx.status()).toBe('143\n');
    expect(fx.run(nodeCommand("process.kill(process.pid, 'SIGKILL')")).code).toBe(137);
    expect(fx.status()).toBe('137\n');
  });

  it('records 127 for a command that does not exist', () => {
    const out = fx.run(['no-such-command-b2']);
    expect(fx.status()).toBe('127\n');
    expect(out.stderr).toContain('no-such-command-b2');
  });

  it('prints host, working dir, start time and the quoted command for the job log', () => {
    const out = fx.run(['echo', 'a b', "it's"], { taskId: 'MyTask_7' });
    const lines = out.stdout.split('\n');
    expect(lines).toContain('b2: task MyTask_7');
    expect(lines.some((l) => l.startsWith(`b2: host ${os.hostname()}, pid `) && /started \d{4}-\d\d-\d\dT/.test(l))).toBe(true);
    expect(lines).toContain(`b2: working directory ${fx.workDir}`);
    expect(lines).toContain(`b2: running echo 'a b' 'it'\\''s'`);
    expect(lines).toContain("a b it's");
  });

  it('replaces a stale exit status and leaves no temp files', () => {
    writeFileSync(fx.statusFile, '0\n');
    fx.run(['bash', '-c', 'exit 5']);
    expect(fx.status()).toBe('5\n');
    expect(readdirSync(fx.logDir).sort()).toEqual(['exit_status']);
  });
});

describe('job wrapper: setup failures', () => {
  it('fails with a clear message when working_dir is missing', () => {
    const missing = path.join(fx.root, 'gone');
    const out = fx.run(['touch', 'RAN'], { workingDir: missing });
    expect(out.code).not.toBe(0);
    expect(parseExitStatus(fx.status() ?? '')).toBe(out.code);
    expect(out.stderr).toContain(`b2: cannot change to the working directory ${missing}`);
    expect(existsSync(path.join(fx.root, 'RAN'))).toBe(false);
  });

  it('fails with a clear message when env_script is missing', () => {
    const missing = path.join(fx.root, 'no-setup.sh');
    const out = fx.run(['touch', 'RAN'], { envScript: missing });
    expect(out.code).toBe(1);
    expect(fx.status()).toBe('1\n');
    expect(out.stderr).toContain(`b2: the env script ${missing} failed with status 1`);
    expect(existsSync(path.join(fx.workDir, 'RAN'))).toBe(false);
  });

  it("fails with the env script's status when it returns non-zero", () => {
    const script = path.join(fx.root, 'setup.sh');
    writeFileSync(script, 'echo "no such release" >&2\nreturn 4\n');
    const out = fx.run(['touch', 'RAN'], { envScript: script });
    expect(out.code).toBe(4);
    expect(fx.status()).toBe('4\n');
    expect(out.stderr).toContain('no such release');
    expect(existsSync(path.join(fx.workDir, 'RAN'))).toBe(false);
  });

  it('never records success when the env script exits early', () => {
    const script = path.join(fx.root, 'setup.sh');
    writeFileSync(script, 'exit 0\n');
    const out = fx.run(['touch', 'RAN'], { envScript: script });
    expect(out.code).toBe(1);
    expect(fx.status()).toBe('1\n');
    expect(out.stderr).toContain('ended before the command finished');
  });

  it('keeps its own traps and bookkeeping when the env script sets traps and set -e', () => {
    const script = path.join(fx.root, 'setup.sh');
    writeFileSync(script, "set -e\ntrap 'echo theirs' EXIT\n");
    const out = fx.run(['bash', '-c', 'exit 6'], { envScript: script });
    expect(out.code).toBe(6);
    expect(fx.status()).toBe('6\n');
    expect(out.stdout).toContain('with exit status 6');
  });
});
