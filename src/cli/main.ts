/**
 * The `b2` command line. Each subcommand lives in commands/<name>.ts; this
 * file parses argv and turns errors into one readable message and an exit
 * code (no stack trace for user errors unless --verbose).
 */
import chalk from 'chalk';
import { Command, CommanderError, Option } from 'commander';
import { errorMessage, isUserError } from '../errors.js';
import { registerInitCommand } from './commands/init.js';
import { registerRunCommand } from './commands/run.js';
import { registerStatusCommands } from './commands/status.js';
import { registerSettingsCommand } from './commands/settings.js';
import { registerWorkerCommand } from './commands/worker.js';
import { EXIT } from './options.js';
import { applyNoColor } from '../util/color.js';

export const buildProgram = (): Command => {
  const program = new Command('b2')
    .description('Run TypeScript task pipelines locally or on HTCondor, LSF, Slurm and Grid Engine.')
    .version(process.env.npm_package_version ?? '0.1.0', '-V, --version')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(chalk.red(text)) })
    .exitOverride();
  registerRunCommand(program);
  registerStatusCommands(program);
  registerSettingsCommand(program);
  registerWorkerCommand(program);
  registerInitCommand(program);
  program.addOption(new Option('--verbose').hideHelp());
  return program;
};

export const reportError = (error: unknown, verbose: boolean): number => {
  if (isUserError(error)) {
    process.stderr.write(`${chalk.red('error:')} ${error.message}\n`);
    if (error.hint) process.stderr.write(`${chalk.dim('hint:')}  ${error.hint}\n`);
    if (verbose && error.stack) process.stderr.write(`${chalk.dim(error.stack)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`${chalk.red('internal error:')} ${errorMessage(error)}\n`);
  process.stderr.write(
    verbose && error instanceof Error && error.stack
      ? `${error.stack}\n`
      : 'This is a bug in b2. Run again with --verbose for the stack trace.\n',
  );
  return EXIT.internal;
};

export const main = async (argv: readonly string[]): Promise<number> => {
  applyNoColor();
  const verbose = argv.includes('--verbose');
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(error, verbose);
  }
};
