/**
 * `b2 settings [pipeline.ts [Task --param v]]`: every effective setting and
 * where it came from, for one task, for the run, or as seen from the working
 * directory. The first thing to run when a job sees the wrong environment.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { loadPipeline } from '../../pipeline/load.js';
import { selectRoots } from '../../pipeline/select.js';
import type { Task } from '../../pipeline/task.js';
import { explainAllSettings, formatSettings, initSettings, type ExplainedSetting } from '../../settings/index.js';
import { EXIT, commonOptions } from '../options.js';
import { dedicatedFlagSources, printSettingsWarnings, settingFlags, type CommonFlags } from '../prepare.js';

interface SettingsFlags extends CommonFlags {
  readonly json?: boolean;
}

/** What the settings are shown for: one task (task layer included), a run, or the working directory. */
interface View {
  readonly scope: 'task' | 'run' | 'cwd';
  /** One line saying what was looked at. */
  readonly title: string;
  readonly pipeline?: string;
  readonly task?: string;
  readonly settings: ExplainedSetting[];
}

/** Dedicated flags name themselves as the source (`flag --result-dir`), not as a --setting. */
const cwdView = async (options: SettingsFlags): Promise<View> => {
  const cwd = process.cwd();
  await initSettings({ cwd, env: process.env, flags: settingFlags(options), flagSources: dedicatedFlagSources(options) });
  return { scope: 'cwd', title: `Settings as seen from ${cwd} (no pipeline given):`, settings: explainAllSettings() };
};

/** Like preparePipeline, with the dedicated flags named as sources. */
const pipelineView = async (file: string, taskName: string | undefined, taskArgs: readonly string[], options: SettingsFlags): Promise<View> => {
  const pipelineDir = path.dirname(path.resolve(file));
  await initSettings({ cwd: process.cwd(), env: process.env, flags: settingFlags(options), flagSources: dedicatedFlagSources(options), pipelineDir });
  const pipeline = await loadPipeline(file);
  printSettingsWarnings();
  const roots: Task[] = await selectRoots(pipeline.module, file, { taskName, taskArgs });
  if (taskName !== undefined || roots.length === 1) {
    const task = roots[0]!;
    const how = taskName !== undefined ? 'task' : 'the default export';
    return { scope: 'task', title: `Settings for ${how} ${task.toString()} of ${file}:`, pipeline: file, task: task.toString(), settings: explainAllSettings(task) };
  }
  return {
    scope: 'run',
    title: `Settings for the run of ${file} (its default export has ${roots.length} tasks; name one to include its own settings):`,
    pipeline: file,
    settings: explainAllSettings(),
  };
};

const settingsCommand = async (file: string | undefined, taskName: string | undefined, rest: string[], options: SettingsFlags): Promise<number> => {
  if (file?.startsWith('-')) {
    throw new UserError('bad-option', `Unknown option ${file} for b2 settings.`, { hint: 'b2 settings --help lists the options.' });
  }
  // `b2 settings p.ts --some-parameter 3` without a task: commander takes the flag as the task name.
  if (taskName?.startsWith('-')) {
    rest = [taskName, ...rest];
    taskName = undefined;
  }
  const view = file === undefined ? await cwdView(options) : await pipelineView(file, taskName, rest, options);
  // Task members with old (b2luigi) names warn only when looked up.
  printSettingsWarnings();
  if (options.json) {
    const json = { scope: view.scope, pipeline: view.pipeline, task: view.task, settings: view.settings };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(`${view.title}\n${formatSettings(view.settings, { json: false })}\n`);
  }
  return EXIT.ok;
};

export const registerSettingsCommand = (program: Command): void => {
  const command = program
    .command('settings')
    .description('print every effective setting and where it came from (for a task, a run, or the working directory)')
    .argument('[pipeline]', 'pipeline file; without it, the settings as seen from the working directory')
    .argument('[task]', "task class (default: the module's default export when it is a single task)")
    .argument('[parameters...]', 'task parameters: --name value')
    .option('--json', 'print JSON (scope, pipeline, task, settings: [{key, value, source, description}])')
    .option('--result-dir <dir>', 'setting result_dir')
    .option('--log-dir <dir>', 'setting log_dir')
    .option('--batch-system <name>', 'setting batch_system: auto, local, htcondor, lsf, slurm, sge')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (file: string | undefined, taskName: string | undefined, rest: string[], options: SettingsFlags) => {
      process.exitCode = await settingsCommand(file, taskName, rest, options);
    });
  commonOptions(command);
};
