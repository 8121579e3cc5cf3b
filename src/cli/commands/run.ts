/**
 * `b2 run pipeline.ts [Task --param v] [--workers N] [--batch]`, and the
 * inspection modes that share its graph: --dry-run, --show-output, --remove.
 */
import { Command, Option } from 'commander';
import { UserError } from '../../errors.js';
import { buildGraph } from '../../pipeline/graph.js';
import type { CommandOptions } from '../../pipeline/select.js';
import { closest } from '../../util/closest.js';
import { getSetting } from '../../settings/index.js';
import { EXIT, commonOptions } from '../options.js';
import { dedicatedFlagSources, preparePipeline, settingFlags, type CommonFlags } from '../prepare.js';
import { dryRun, showOutput } from '../inspect.js';
import { removeOutputs } from '../remove.js';
import { executeRun } from '../execute.js';
import { taskHelp } from '../task-help.js';
import path from 'node:path';
import { loadPipeline } from '../../pipeline/load.js';
import { exportedTaskClasses, selectRoots } from '../../pipeline/select.js';
import { initSettings } from '../../settings/index.js';

interface RunFlags extends CommonFlags {
  readonly workers?: number;
  readonly batch?: boolean;
  readonly test?: boolean;
  readonly dryRun?: boolean;
  readonly showOutput?: boolean;
  readonly remove?: string;
  readonly removeOnly?: string;
  readonly keep?: string;
  readonly yes?: boolean;
  readonly verbose?: boolean;
  readonly progress?: boolean;
  readonly wait?: boolean;
  readonly ignoreLock?: boolean;
  readonly help?: boolean;
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError('bad-option', `--workers needs a whole number of at least 1, got "${value}".`);
  return n;
};

const familyList = (value: string | undefined): string[] =>
  value === undefined ? [] : value.split(',').map((s) => s.trim()).filter(Boolean);

export const registerRunCommand = (program: Command): void => {
  const command = program
    .command('run')
    .description('run a pipeline: everything not yet complete, on local workers or as batch jobs')
    // Optional to commander only, so that `b2 run p.ts Task --help` reaches the action (see runCommand).
    .usage('[options] <pipeline> [task] [parameters...]')
    .argument('[pipeline]', 'pipeline file (.ts, .mts, .js, .mjs, .cjs)')
    .argument('[task]', 'task class to run (default: the module\'s default export)')
    .argument('[parameters...]', 'task parameters: --name value')
    .option('-w, --workers <n>', 'tasks (or batch jobs) in flight at once', positiveInt)
    .option('--batch', 'send each task to the batch system as one job (setting batch_system)')
    .option('--test', 'run every task in this process, output to the terminal (for debugging)')
    .option('--dry-run', 'list the tasks that would run; exit 1 if any, 0 if all complete')
    .option('--show-output', 'list every output file of the graph and whether it exists')
    .option('--remove <tasks>', 'remove outputs of these task families (comma-separated) and of everything downstream')
    .option('--remove-only <tasks>', 'remove outputs of exactly these task families')
    .option('--keep <tasks>', 'with --remove: keep the outputs of these families')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--result-dir <dir>', 'setting result_dir')
    .option('--log-dir <dir>', 'setting log_dir')
    .option('--batch-system <name>', 'setting batch_system: auto, local, htcondor, lsf, slurm, sge')
    .option('--wait', 'if a live run works on the same tasks, wait for it instead of refusing')
    .option('--ignore-lock', 'run even if a run on another host may be working on the same tasks')
    .addOption(new Option('--no-progress', 'no live progress line'))
    .helpOption(false)
    .option('-h, --help', "display help for command; after a task: that task's parameters and settings")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (file: string | undefined, taskName: string | undefined, rest: string[], options: RunFlags) => {
      if (options.help && (taskName === undefined || taskName.startsWith('-') || file === undefined)) {
        command.outputHelp();
        process.exitCode = EXIT.ok;
        return;
      }
      if (file === undefined) {
        throw new UserError('usage', "b2 run needs a pipeline file: missing required argument 'pipeline'.", { hint: 'b2 run pipeline.ts [Task --param value] [options]; b2 run --help lists the options.' });
      }
      if (options.help) {
        process.exitCode = await printTaskHelp(file, taskName!, options);
        return;
      }
      process.exitCode = await runCommand(file, taskName, rest, options, ownOptions(command));
    });
  commonOptions(command);
};

/** The long options of `b2 run` (without "--"), to tell their typos from task parameters. */
const ownOptions = (command: Command): CommandOptions => ({
  name: 'b2 run',
  options: [...command.options.flatMap((option) => (option.long ? [option.long.slice(2)] : [])), 'help'],
});

/** `b2 run p.ts Task --help`: the task's parameters and settings, from the pipeline itself. */
const printTaskHelp = async (file: string, taskName: string, options: RunFlags): Promise<number> => {
  const pipelineDir = path.dirname(path.resolve(file));
  await initSettings({ cwd: process.cwd(), env: process.env, flags: settingFlags(options), flagSources: dedicatedFlagSources(options), pipelineDir });
  const pipeline = await loadPipeline(file);
  const cls = exportedTaskClasses(pipeline.module).get(taskName);
  // An unknown name: the same message (and suggestion) as running it would give.
  if (cls === undefined) await selectRoots(pipeline.module, file, { taskName, taskArgs: [] });
  process.stdout.write(taskHelp(cls!, file));
  return EXIT.ok;
};

const runCommand = async (
  file: string,
  taskName: string | undefined,
  rest: string[],
  options: RunFlags,
  command: CommandOptions,
): Promise<number> => {
  // `b2 run --dryrun p.ts`: commander takes an unknown option before the file as the file.
  if (file.startsWith('--')) {
    const suggestion = closest(file.slice(2), command.options);
    throw new UserError('unknown-option', `unknown option ${file}${suggestion ? `; did you mean --${suggestion}?` : '.'}`, {
      hint: 'b2 run --help lists its options; the pipeline file comes first: b2 run pipeline.ts [Task --param value] [options].',
    });
  }
  // `b2 run p.ts --some-parameter 3` without a task: commander takes the flag as the task name.
  if (taskName?.startsWith('-')) {
    rest = [taskName, ...rest];
    taskName = undefined;
  }
  const extra: Record<string, unknown> = options.workers !== undefined ? { workers: options.workers } : {};
  const { pipeline, roots } = await preparePipeline(file, taskName, rest, settingFlags(options, extra), dedicatedFlagSources(options), command);
  const workers = options.workers ?? getSetting<number>('workers');

  if (options.showOutput) {
    showOutput(buildGraph(roots, { pruneComplete: false }));
    return EXIT.ok;
  }
  if (options.dryRun) {
    return (await dryRun(buildGraph(roots, { pruneComplete: false }))) ? EXIT.failed : EXIT.ok;
  }
  if (options.remove !== undefined || options.removeOnly !== undefined) {
    return removeOutputs(buildGraph(roots, { pruneComplete: false }), {
      remove: familyList(options.remove),
      removeOnly: familyList(options.removeOnly),
      keep: familyList(options.keep),
      yes: options.yes === true,
    });
  }

  return executeRun({
    pipeline,
    roots,
    workers,
    mode: options.test ? 'test' : options.batch ? 'batch' : 'local',
    wait: options.wait === true,
    ignoreLock: options.ignoreLock === true,
    liveProgress: process.stderr.isTTY === true && options.progress !== false,
  });
};
