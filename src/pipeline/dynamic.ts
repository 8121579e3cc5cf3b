/**
 * Dynamic dependencies: tasks a run() asks for while it runs, with
 * `await this.require(tasks)` or, as in luigi, by yielding them from a
 * generator run(). Where the task can wait (a local worker, `--test`) it
 * waits while the runner makes them; a batch job cannot hold its slot on the
 * farm for that long, so it records what it asked for and ends with
 * NEEDS_DEPENDENCIES_STATUS, and the runner submits it again once they are
 * complete: run() then starts from the beginning and its requests for
 * complete tasks return at once.
 */
import { UserError } from '../errors.js';

/**
 * The exit status of a batch job whose task asked for tasks that are not
 * complete. Chosen to mean nothing else: below 128 (no signal), not 99 or
 * 100 (Grid Engine requeues or parks those), not a sysexits.h code (64-78),
 * nor 1, 2, 126 or 127 (shells and most programs).
 */
export const NEEDS_DEPENDENCIES_STATUS = 85;

/** The runner's answer to a request. */
export type RequestReply = { readonly ok: true } | { readonly ok: false; readonly message: string; readonly hint?: string };

const NEEDS_DEPENDENCIES = Symbol.for('b2.NeedsDependencies');

/**
 * Ends a batch job's run() at its first request for incomplete tasks. It
 * passes through user code like any error; a run() that catches it and
 * carries on is stopped all the same before its outputs are committed.
 */
export class NeedsDependencies extends Error {
  readonly [NEEDS_DEPENDENCIES] = true;
  constructor() {
    super('the task asked for tasks that are not complete yet: the job ends so that the runner makes them, and starts it again');
    this.name = 'NeedsDependencies';
  }
}

export const isNeedsDependencies = (error: unknown): error is NeedsDependencies =>
  typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[NEEDS_DEPENDENCIES] === true;

/** A failed answer as the error require() throws in the task. */
export const replyError = (reply: Extract<RequestReply, { ok: false }>): UserError =>
  new UserError('dynamic-dependency-failed', reply.message, reply.hint === undefined ? {} : { hint: reply.hint });

type AnyGenerator = Generator<unknown, unknown, unknown> | AsyncGenerator<unknown, unknown, unknown>;

/** What a generator run() returned (sync or async), as opposed to a promise or a plain value. */
export const isGeneratorResult = (value: unknown): value is AnyGenerator =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { next?: unknown }).next === 'function' &&
  typeof (value as { throw?: unknown }).throw === 'function' &&
  (Symbol.iterator in value || Symbol.asyncIterator in value);

/**
 * Runs a generator run() to its end: each yielded task (or list or record of
 * tasks) is required, and the yield evaluates to what was yielded, once it
 * is complete. A request that fails is thrown into the generator, where a
 * try/catch may handle it; the end of a batch job's attempt only unwinds it.
 */
export const driveGeneratorRun = async (generator: AnyGenerator, require: (yielded: unknown) => Promise<unknown>): Promise<void> => {
  let input: { readonly value: unknown } | { readonly error: unknown } = { value: undefined };
  for (;;) {
    const step: IteratorResult<unknown, unknown> = 'error' in input ? await generator.throw(input.error) : await generator.next(input.value);
    if (step.done) return;
    try {
      input = { value: await require(step.value) };
    } catch (error) {
      if (isNeedsDependencies(error)) {
        await generator.return(undefined);
        throw error;
      }
      input = { error };
    }
  }
};
