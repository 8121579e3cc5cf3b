/**
 * A task's error as its log should show it: the message and the frames of
 * the user's own code. Frames inside b2 and Node itself only bury the line
 * that matters under the last lines a failure summary shows.
 */
import { errorMessage } from '../errors.js';
import { OWN_ROOT } from '../util/own-root.js';

const OWN_FRAME = new RegExp(`\\(?(file://)?${OWN_ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(dist|src)/|node:internal/|\\(node:`);

export const taskErrorText = (error: unknown): string => {
  if (!(error instanceof Error) || error.stack === undefined) return errorMessage(error);
  return error.stack
    .split('\n')
    .filter((line) => !/^\s+at /.test(line) || !OWN_FRAME.test(line))
    .join('\n');
};
