/**
 * The bash wrapper every batch job runs (templates/job.sh). It changes to the
 * working directory, sources the env script, exports the env entries and runs
 * the task's command; an EXIT trap records the command's exit status in a file
 * that decides success. Host, pid and start time go to the job's stdout.
 *
 * The exit-status file (written whole via a temp name and `mv`) holds one
 * line, the decimal status (a signal n gives 128+n).
 * A wrapper killed with SIGKILL writes no exit status: the queue must decide.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { bashVariableConflict } from './bash-names.js';
import { isEnvName, shellJoin, shellQuote } from './quote.js';
import { loadTemplate, renderTemplate } from './render.js';
import { containerArgv, type ContainerSpec } from './apptainer.js';

export interface WrapperSpec {
  taskId: string;
  /** Setting `shell`: 'bash' gives `#!/usr/bin/env bash`; an absolute path is used as is. */
  shell: string;
  /**
   * Absolute; undefined: stay in the folder the batch system started the job
   * in (HTCondor's sandbox, where transferred files land).
   */
  workingDir: string | undefined;
  /** Absolute, or empty for none. */
  envScript?: string;
  env: Readonly<Record<string, string>>;
  /** Full argv: executable_prefix + executable + task arguments. */
  command: readonly string[];
  /** Absolute. */
  exitStatusFile: string;
  /** Run the command in this container: env_script and env then apply inside it (see apptainer.ts). */
  container?: ContainerSpec;
}

// The wrapper's own variables; an env entry with this prefix could break it.
const RESERVED_PREFIX = '_b2_';

const invalid = (message: string, hint?: string): UserError =>
  new UserError('bad-job-wrapper', message, hint === undefined ? {} : { hint });

// Bash variables cannot hold NUL, so such a value could not reach the task intact.
const rejectNul = (what: string, value: string): void => {
  if (value.includes('\0')) throw invalid(`${what} contains a NUL character, which no shell can pass on`);
};

const requireAbsolute = (what: string, value: string): void => {
  rejectNul(what, value);
  if (!path.isAbsolute(value)) throw invalid(`${what} must be an absolute path, got ${JSON.stringify(value)}`);
};

const shebang = (shell: string): string => {
  const name = path.basename(shell);
  const wellFormed = /^[^\s\0]+$/.test(shell) && (shell === name || path.isAbsolute(shell));
  // The template uses bash features (printf %()T, traps on wait), so another shell would fail obscurely.
  if (!wellFormed || !name.startsWith('bash')) {
    throw invalid(`setting shell = ${JSON.stringify(shell)} is not usable for the job wrapper`, "use 'bash' or an absolute path to bash");
  }
  return shell === name ? `#!/usr/bin/env ${shell}` : `#!${shell}`;
};

const exportLines = (env: Readonly<Record<string, string>>): string =>
  Object.entries(env)
    .map(([name, value]) => {
      if (!isEnvName(name) || name.startsWith(RESERVED_PREFIX)) {
        throw invalid(
          `env entry ${JSON.stringify(name)} is not a usable environment variable name`,
          `names are letters, digits and _, do not start with a digit or ${RESERVED_PREFIX}`,
        );
      }
      const conflict = bashVariableConflict(name);
      if (conflict !== undefined) {
        throw invalid(`env entry ${name} ${conflict}`, 'remove it from env; if the task needs it, set it in the env_script or in the task itself');
      }
      rejectNul(`env entry ${name}`, value);
      return `export ${name}=${shellQuote(value)}`;
    })
    .join('\n');

/**
 * Linux refuses to exec (E2BIG) with a single argument or environment string
 * longer than MAX_ARG_STRLEN, 32 pages with the terminating NUL, and with
 * argv and environment together beyond ARG_MAX, a quarter of the stack limit
 * (2 MiB with the usual 8 MiB). The job's inherited environment needs its
 * share of that, so what b2 adds gets half.
 */
export const MAX_ARG_BYTES = 32 * 4096;
export const MAX_ADDED_ARGS_BYTES = 1024 * 1024;

const tooLong = (message: string): UserError =>
  new UserError('argument-too-long', message, { hint: 'pass large data through a file (or a shorter parameter value) instead of the command line or env' });

// Bytes one argv or environment string takes: its text, its NUL and its pointer.
const execBytes = (text: string): number => Buffer.byteLength(text) + 1 + 8;

const checkExecLimits = (command: readonly string[], env: Readonly<Record<string, string>>): void => {
  command.forEach((arg, i) => {
    const bytes = Buffer.byteLength(arg) + 1;
    if (bytes > MAX_ARG_BYTES) throw tooLong(`command argument ${i} is ${bytes} bytes long; Linux passes at most ${MAX_ARG_BYTES} bytes per argument`);
  });
  for (const [name, value] of Object.entries(env)) {
    const bytes = Buffer.byteLength(`${name}=${value}`) + 1;
    if (bytes > MAX_ARG_BYTES) throw tooLong(`env entry ${name} is ${bytes} bytes long; Linux passes at most ${MAX_ARG_BYTES} bytes per environment variable`);
  }
  const total = [...command, ...Object.entries(env).map(([name, value]) => `${name}=${value}`)].reduce((sum, text) => sum + execBytes(text), 0);
  if (total > MAX_ADDED_ARGS_BYTES) {
    throw tooLong(`the command and the env entries take ${total} bytes together; b2 allows them ${MAX_ADDED_ARGS_BYTES}, so that the job's own environment still fits in Linux's limit`);
  }
};

/** The wrapper script's text. Pure apart from reading the template once. */
export function renderJobWrapper(spec: WrapperSpec): string {
  if (spec.command.length === 0) throw invalid(`task ${spec.taskId} has an empty command`);
  spec.command.forEach((arg, i) => rejectNul(`command argument ${i}`, arg));
  rejectNul('task id', spec.taskId);
  if (spec.workingDir !== undefined) requireAbsolute('working_dir', spec.workingDir);
  requireAbsolute('exit status file', spec.exitStatusFile);
  const envScript = spec.envScript ?? '';
  // A relative name would make bash's `source` search PATH.
  if (envScript !== '') requireAbsolute('env_script', envScript);

  const exports = exportLines(spec.env);
  checkExecLimits(spec.command, spec.env);
  const container = spec.container;
  if (container !== undefined) {
    [container.command, container.image, ...container.additionalParams, ...container.binds].forEach((value) => rejectNul('an apptainer setting', value));
  }
  // In a container the env script and env entries apply inside it, so the wrapper itself leaves them out.
  const command = container === undefined ? spec.command : containerArgv(container, { envScript, exports, command: spec.command });
  if (container !== undefined) checkExecLimits(command, {});

  return renderTemplate(loadTemplate('job.sh'), {
    shebang: shebang(spec.shell),
    task_id: shellQuote(spec.taskId),
    working_dir: shellQuote(spec.workingDir ?? ''),
    env_script: shellQuote(container === undefined ? envScript : ''),
    exit_status_file: shellQuote(spec.exitStatusFile),
    command_line: shellQuote(shellJoin(command)),
    exports: container === undefined ? exports : '',
    command: shellJoin(command),
  });
}

/** The status in an exit-status file's text; undefined when it is not one. */
export function parseExitStatus(text: string): number | undefined {
  const match = /^(\d{1,3})\n?$/.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** The status an exit-status file records; undefined when there is none (yet), never NaN. */
export function readExitStatusFile(file: string): number | undefined {
  // Checked every second for the jobs that may have run, and mostly absent: a stat that
  // throws nothing costs far less than a failed read.
  if (!statSync(file, { throwIfNoEntry: false })) return undefined;
  try {
    return parseExitStatus(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
