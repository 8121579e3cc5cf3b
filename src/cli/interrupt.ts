/**
 * Ctrl-C / SIGTERM: the first stops the run cleanly (in-flight tasks or jobs
 * are cancelled and waited for); a second exits at once and says what may be
 * left behind.
 */
import chalk from 'chalk';

export const installInterruptHandler = (abort: AbortController, leftBehind: () => string): (() => void) => {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      abort.abort(signal);
      return;
    }
    // Asked first: it may give the terminal back (the live view holds stderr while it draws).
    const left = leftBehind();
    process.stderr.write(`\n${chalk.red('exiting at once:')} ${left}\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
};
