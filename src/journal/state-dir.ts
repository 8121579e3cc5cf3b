/**
 * The state folder must be a folder this user can write to before a run
 * starts: a file there, or a folder without write permission, is a setting
 * to fix, not a bug in b2.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { UserError, errorMessage } from '../errors.js';
import { makeFolders } from '../util/files.js';

/** Why `dir` cannot hold run journals, or undefined when it can (created if missing). */
const stateDirProblem = (dir: string): string | undefined => {
  try {
    makeFolders(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return 'a folder on its way is a file';
    if (code === 'EEXIST') return 'it is a file';
    return `it cannot be created (${errorMessage(error)})`;
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    return `it is not writable (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`;
  }
  return undefined;
};

/**
 * `dir` (the resolved state_dir), created if missing; a UserError naming the
 * setting, its value and its source when it cannot hold run journals.
 */
export const usableStateDir = (dir: string, given: { readonly value: string; readonly source: string }): string => {
  const problem = stateDirProblem(dir);
  if (problem === undefined) return dir;
  throw new UserError('bad-state-dir', `state_dir ${JSON.stringify(given.value)} (from ${given.source}) is ${dir}, which cannot hold run journals: ${problem}.`, {
    hint: 'Point state_dir at a folder you can write to (e.g. --setting state_dir=.b2/runs), or fix the permissions of that one.',
  });
};

/**
 * `dir` for reading runs (b2 status, b2 kill): nothing is created, but a
 * file where the runs folder should be is a setting to fix, not a bug.
 */
export const readableStateDir = (dir: string): string => {
  const found = statSync(dir, { throwIfNoEntry: false });
  if (found === undefined || found.isDirectory()) return dir;
  throw new UserError('bad-state-dir', `The runs folder ${dir} is a file, so it holds no run journals.`, {
    hint: 'Point state_dir (or --state-dir) at the folder of the runs, by default .b2/runs next to the pipeline.',
  });
};
