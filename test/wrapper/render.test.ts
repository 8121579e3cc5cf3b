import { describe, expect, it } from '@jest/globals';
import { isUserError } from '../../src/errors.js';
import { parseExitStatus, renderJobWrapper, type WrapperSpec } from '../../src/wrapper/wrapper.js';

const spec = (overrides: Partial<WrapperSpec> = {}): WrapperSpec => ({
  taskId: 'Task_1_abc',
  shell: 'bash',
  workingDir: '/data/work',
  env: {},
  command: ['python3', 'steer.py', '--batch-runner', '--task-id', 'Task_1_abc'],
  exitStatusFile: '/data/logs/exit_status',
  ...overrides,
});

const userErrorOf = (overrides: Partial<WrapperSpec>): { message: string; reason: string } => {
  try {
    renderJobWrapper(spec(overrides));
  } catch (error) {
    if (isUserError(error)) return { message: error.message, reason: error.reason };
    throw error;
  }
  throw new Error('renderJobWrapper accepted an invalid spec');
};

describe('renderJobWrapper', () => {
  it('uses env to find bash by default and an absolute shell path as given', () => {
    expect(renderJobWrapper(spec()).split('\n')[0]).toBe('#!/usr/bin/env bash');
    expect(renderJobWrapper(spec({ shell: '/opt/bin/bash' })).split('\n')[0]).toBe('#!/opt/bin/bash');
  });

  it('is deterministic and leaves no placeholder behind', () => {
    const text = renderJobWrapper(spec({ env: { A: '1' }, envScript: '/data/setup.sh' }));
    expect(renderJobWrapper(spec({ env: { A: '1' }, envScript: '/data/setup.sh' }))).toBe(text);
    expect(text).not.toMatch(/\{\{/);
    expect(text).toContain("_b2_env_script=/data/setup.sh\n");
    expect(text).toContain('export A=1\n');
    expect(text).toContain('exec -- python3 steer.py --batch-runner --task-id Task_1_abc )');
  });

  it('does not expand placeholders that appear inside values', () => {
    const text = renderJobWrapper(spec({ taskId: '{{command}}', env: { X: '{{shebang}}' } }));
    expect(text).toContain("_b2_task_id='{{command}}'\n");
    expect(text).toContain("export X='{{shebang}}'\n");
  });

  it('names the bad key of an env entry', () => {
    for (const key of ['1ABC', 'MY-VAR', 'A B', '', '_b2_status']) {
      const error = userErrorOf({ env: { OK: 'x', [key]: 'y' } });
      expect(error.reason).toBe('bad-job-wrapper');
      expect(error.message).toContain(JSON.stringify(key));
    }
  });

  it.each(['POSIXLY_CORRECT', 'FUNCNEST', 'EXECIGNORE', 'SHELLOPTS', 'BASHOPTS', 'PPID', 'UID', 'EUID', 'BASH_ENV', 'BASH_XTRACEFD', 'BASH', 'IFS', 'PS4', 'ENV', 'GLOBIGNORE', 'HISTFILE', 'CDPATH', 'SECONDS', 'RANDOM'])(
    'rejects the bash variable %s as an env entry, naming it and why',
    (key) => {
      const error = userErrorOf({ env: { OK: 'x', [key]: '1' } });
      expect(error.reason).toBe('bad-job-wrapper');
      expect(error.message).toContain(`env entry ${key}`);
      expect(error.message).toMatch(/bash (itself reads|sets|keeps)/);
    },
  );

  it('accepts ordinary names that only look special', () => {
    for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'MY_BASH_ENV', 'BASHFUL', 'PS1', 'ID', 'UIDS']) {
      expect(renderJobWrapper(spec({ env: { [key]: 'x' } }))).toContain(`export ${key}=x\n`);
    }
  });

  it('rejects values that exec could not pass on (E2BIG) before anything is submitted', () => {
    const big = 'x'.repeat(128 * 1024);
    const arg = userErrorOf({ command: ['python3', 'steer.py', '--task-record', big] });
    expect(arg.reason).toBe('argument-too-long');
    expect(arg.message).toContain('command argument 3');
    expect(arg.message).toContain('131072');
    const env = userErrorOf({ env: { BIG: big } });
    expect(env.reason).toBe('argument-too-long');
    expect(env.message).toContain('env entry BIG');
    // Each piece fits, together they do not.
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`V${i}`, 'y'.repeat(100 * 1024)]));
    expect(userErrorOf({ env: many }).message).toContain('together');
    // Just below the limit is fine: 131072 bytes with the terminating NUL.
    expect(() => renderJobWrapper(spec({ command: ['echo', 'z'.repeat(131071)] }))).not.toThrow();
    expect(userErrorOf({ command: ['echo', 'é'.repeat(65536)] }).reason).toBe('argument-too-long');
  });

  it('rejects relative paths, an empty command, NUL characters and non-bash shells', () => {
    expect(userErrorOf({ workingDir: 'work' }).message).toContain('working_dir');
    expect(userErrorOf({ envScript: 'setup.sh' }).message).toContain('env_script');
    expect(userErrorOf({ exitStatusFile: 'exit_status' }).message).toContain('exit status file');
    expect(userErrorOf({ command: [] }).message).toContain('empty command');
    expect(userErrorOf({ command: ['echo', 'a\0b'] }).message).toContain('NUL');
    expect(userErrorOf({ env: { A: 'a\0b' } }).message).toContain('env entry A');
    for (const shell of ['sh', 'zsh', '/bin/sh', 'bin/bash', 'bash -x', '']) {
      expect(userErrorOf({ shell }).message).toContain('shell');
    }
  });

  it('accepts an empty env script as none', () => {
    expect(renderJobWrapper(spec({ envScript: '' }))).toContain("_b2_env_script=''\n");
  });
});

describe('parseExitStatus', () => {
  it('reads the status line and rejects anything else', () => {
    expect(parseExitStatus('0\n')).toBe(0);
    expect(parseExitStatus('143\n')).toBe(143);
    expect(parseExitStatus('3')).toBe(3);
    expect(parseExitStatus('')).toBeUndefined();
    expect(parseExitStatus('3\n4\n')).toBeUndefined();
    expect(parseExitStatus('x\n')).toBeUndefined();
  });
});
