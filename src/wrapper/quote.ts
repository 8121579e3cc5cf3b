/**
 * POSIX shell quoting. Every value b2 puts into a script or a command line
 * goes through here, so parameters and env values containing quotes, `$()`,
 * backticks, spaces or newlines reach the task literally.
 */

// Words made only of these characters mean the same quoted or not.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for bash/sh: single quotes, with each `'` written as `'\''`. */
export const shellQuote = (value: string): string =>
  value !== '' && SAFE_WORD.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

/** Quote an argv list into one command line. */
export const shellJoin = (argv: readonly string[]): string => argv.map(shellQuote).join(' ');

/** A valid environment variable name (what `export NAME=...` accepts). */
export const isEnvName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
