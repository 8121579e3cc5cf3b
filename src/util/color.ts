/**
 * NO_COLOR (https://no-color.org): chalk honours FORCE_COLOR but not
 * NO_COLOR, and the live progress line and `status --watch` move the cursor
 * with escape sequences of their own. With NO_COLOR set, b2 writes none.
 */
import chalk from 'chalk';

/** True when the user asked for no colour: NO_COLOR set and not empty. */
export const noColorWanted = (env: NodeJS.ProcessEnv = process.env): boolean => (env.NO_COLOR ?? '') !== '';

/** Turn chalk off for the whole process when NO_COLOR asks for it. */
export const applyNoColor = (env: NodeJS.ProcessEnv = process.env): void => {
  if (noColorWanted(env)) chalk.level = 0;
};

