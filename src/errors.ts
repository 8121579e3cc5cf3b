/**
 * User errors: things a user can cause and fix (a bad parameter, a cycle, a
 * failing `sbatch`). They carry a readable message and a hint, and the CLI
 * prints them without a stack trace (unless --verbose) and exits with `exitCode`.
 * Anything else that is thrown is a bug in b2 and is reported as such.
 */
export interface Failure {
  /** Stable machine-readable cause, e.g. 'cycle', 'unknown-task', 'bad-parameter'. */
  readonly reason: string;
  /** One readable sentence naming the cause. */
  readonly message: string;
  /** How to fix it, when there is something to say. */
  readonly hint?: string;
}

export type Result<T, F = Failure> = { ok: true; value: T } | { ok: false; error: F };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <F = Failure>(error: F): Result<never, F> => ({ ok: false, error });

const USER_ERROR = Symbol.for('b2.UserError');

export class UserError extends Error implements Failure {
  readonly reason: string;
  readonly hint?: string;
  readonly exitCode: number;
  readonly [USER_ERROR] = true;

  constructor(reason: string, message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.reason = reason;
    if (options.hint !== undefined) this.hint = options.hint;
    this.exitCode = options.exitCode ?? 2;
  }

  static from(failure: Failure, exitCode = 2): UserError {
    return new UserError(failure.reason, failure.message, { hint: failure.hint, exitCode });
  }
}

// Works across copies of b2 (a pipeline may bundle its own), unlike instanceof.
export const isUserError = (error: unknown): error is UserError =>
  typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[USER_ERROR] === true;

/** Message text of anything thrown, without assuming it is an Error. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);

/** Exhaustiveness check for discriminated unions. */
export const unreachable = (value: never): never => {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
};
