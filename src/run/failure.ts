/**
 * Why a task failed, as a word a program can act on; the free-text message
 * next to it says the rest for a person.
 * - exit: the task ended with a non-zero status (or raised an error);
 * - signal: a signal killed it (status 128 + n, or the local worker);
 * - timeout: the batch system ended it at its walltime;
 * - memory: it was killed for using more memory than it asked for (setting
 *   memory), by the batch system or, locally, by the kernel;
 * - held: the batch system held it longer than held_grace;
 * - lost: its job ended or vanished without recording an exit status;
 * - cancelled: its job was cancelled outside b2, or the run was stopped;
 * - submit: it could not be prepared or submitted.
 */
export type FailureReason = 'exit' | 'signal' | 'timeout' | 'memory' | 'held' | 'lost' | 'cancelled' | 'submit';

/** An exit status as the wrapper records it: 128 + n when signal n ended the task. */
export const exitReason = (status: number): FailureReason => (status > 128 ? 'signal' : 'exit');
