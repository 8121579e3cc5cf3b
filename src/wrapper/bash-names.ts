/**
 * Environment names that bash itself reads or sets. Exported by the job
 * wrapper, they would change how the wrapper's own bash behaves (POSIX mode,
 * word splitting, command lookup, tracing, sourcing a file at start-up) or
 * fail as read-only, so an `env` entry must not use them. From the bash
 * manual, "Bash Variables" and "Bourne Shell Variables".
 */

// Read by bash, with what it does with each.
const READ: Readonly<Record<string, string>> = {
  POSIXLY_CORRECT: 'it switches bash into POSIX mode, which changes how the job wrapper runs the task',
  FUNCNEST: 'it limits how deeply shell functions may nest',
  EXECIGNORE: 'it hides matching programs from command lookup',
  GLOBIGNORE: 'it changes which file names a glob matches',
  GLOBSORT: 'it changes the order of glob matches',
  IFS: 'it changes how bash splits words',
  PS4: 'bash expands it, running any command substitution in it, before each traced command',
  ENV: 'a shell started in POSIX mode sources the file it names',
  BASH_ENV: 'every non-interactive bash sources the file it names',
  BASH_XTRACEFD: 'it redirects bash\'s trace output to a file descriptor',
  BASH_COMPAT: 'it sets the bash version bash emulates',
  BASH_LOADABLES_PATH: 'it changes where bash looks for loadable builtins',
  CDPATH: 'it changes where cd looks for folders',
  TIMEFORMAT: 'it changes what the time keyword prints',
  TMOUT: 'it makes read and interactive shells time out',
  OPTERR: 'it changes how getopts reports errors',
  HISTFILE: 'it drives the command history',
  HISTFILESIZE: 'it drives the command history',
  HISTSIZE: 'it drives the command history',
  HISTCONTROL: 'it drives the command history',
  HISTIGNORE: 'it drives the command history',
  HISTTIMEFORMAT: 'it drives the command history',
};

// Set by bash (many read-only): an export fails or is overwritten.
const SET = new Set([
  'BASH',
  'BASHOPTS',
  'BASHPID',
  'SHELLOPTS',
  'PPID',
  'UID',
  'EUID',
  'GROUPS',
  'FUNCNAME',
  'LINENO',
  'RANDOM',
  'SRANDOM',
  'SECONDS',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'HISTCMD',
  'DIRSTACK',
  'PIPESTATUS',
  'OPTIND',
  'OPTARG',
  'SHLVL',
]);

/** Why `name` cannot be an env entry, or undefined when it can. */
export const bashVariableConflict = (name: string): string | undefined => {
  const read = READ[name];
  if (read !== undefined) return `is a variable bash itself reads: ${read}`;
  if (SET.has(name) || name.startsWith('BASH_')) return 'is a variable bash sets itself (many such are read-only), so the export would fail or be overwritten';
  return undefined;
};
