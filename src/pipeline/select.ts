/**
 * Which tasks a run starts from: the module's default export (a task, an
 * array, or a function returning them), or a task class named on the command
 * line with its parameters (`b2 run pipeline.ts MyTask --some-parameter 3`).
 */
import { UserError } from '../errors.js';
import { closest } from '../util/closest.js';
import type { ParamSpec } from './params.js';
import { isTask, familyOf, type Task, type TaskClass } from './task.js';
import { kebab } from '../util/names.js';

export const isTaskClass = (value: unknown): value is TaskClass =>
  typeof value === 'function' &&
  typeof (value as { prototype?: unknown }).prototype === 'object' &&
  (value as { prototype: Record<symbol, unknown> }).prototype !== null &&
  (value as { prototype: Record<symbol, unknown> }).prototype[Symbol.for('b2.Task')] === true;

/** Exported task classes by family (and export name). */
export const exportedTaskClasses = (module: Readonly<Record<string, unknown>>): Map<string, TaskClass> => {
  const classes = new Map<string, TaskClass>();
  for (const [exportName, value] of Object.entries(module)) {
    if (!isTaskClass(value)) continue;
    classes.set(familyOf(value), value);
    if (exportName !== 'default' && !classes.has(exportName)) classes.set(exportName, value);
  }
  return classes;
};

const flattenRoots = (value: unknown, where: string): Task[] => {
  const tasks: Task[] = [];
  const visit = (item: unknown): void => {
    if (isTask(item)) tasks.push(item);
    else if (Array.isArray(item)) item.forEach(visit);
    else {
      throw new UserError('bad-root', `${where} contains ${isTaskClass(item) ? `the class ${item.name} (did you forget "new"?)` : JSON.stringify(item) ?? String(item)}, which is not a task.`, {
        hint: 'Export a task, an array of tasks, or a function returning them.',
      });
    }
  };
  visit(value);
  return tasks;
};


/** The command a task's parameters are given to, and its own long options (without "--"), to tell typos of either apart. */
export interface CommandOptions {
  readonly name: string;
  readonly options: readonly string[];
}

const NO_COMMAND: CommandOptions = { name: 'b2', options: [] };

const flagName = (arg: string): string => arg.slice(2, arg.includes('=') ? arg.indexOf('=') : undefined);

/** A `--flag` that is neither an option of the command nor a parameter of the task: the nearest of either. */
const unknownOption = (flag: string, command: CommandOptions, task?: { family: string; spec: ParamSpec; flags: readonly string[] }): UserError => {
  const suggestion = closest(flag, [...command.options, ...(task?.flags ?? [])]);
  const takes = task ? `${task.family} takes: ${describeFlags(task.spec)}. ` : '';
  const hint = `${takes}${command.name} --help lists its options.`;
  if (suggestion) return new UserError('unknown-option', `unknown option --${flag}; did you mean --${suggestion}?`, { hint });
  const what = task ? `a parameter of ${task.family}` : 'a task parameter (no task was named)';
  return new UserError('unknown-option', `unknown option --${flag}: neither an option of ${command.name} nor ${what}.`, { hint });
};

/** Parse `--name value`, `--name=value` and bare boolean `--flag` against a class's parameters. */
export const parseTaskArguments = (cls: TaskClass, args: readonly string[], command: CommandOptions = NO_COMMAND): Record<string, unknown> => {
  const spec: ParamSpec = cls.paramSpec;
  const byFlag = new Map<string, string>();
  for (const name of Object.keys(spec)) {
    byFlag.set(kebab(name), name);
    byFlag.set(name, name);
  }
  const family = familyOf(cls);
  const values: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      throw new UserError('unexpected-argument', `Unexpected argument "${arg}" after the task name ${family}.`, {
        hint: `Parameters are given as --name value. ${family} takes: ${describeFlags(spec)}.`,
      });
    }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const name = byFlag.get(flag);
    if (name === undefined) {
      const flags = [...byFlag.keys()].filter((key) => key.includes('-') || !key.match(/[A-Z_]/));
      throw unknownOption(flag, command, { family, spec, flags });
    }
    const def = spec[name]!;
    let text: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (text === undefined) {
      const next = args[i + 1];
      if (def.kind === 'bool' && (next === undefined || next.startsWith('--'))) text = 'true';
      else if (next === undefined) {
        throw new UserError('missing-value', `--${flag} needs a value (${def.typeName}).`);
      } else {
        text = next;
        i++;
      }
    }
    try {
      values[name] = def.parse(text);
    } catch (error) {
      throw new UserError('bad-parameter', `--${flag}: ${(error as Error).message}.`, {
        hint: def.options.description ? `${name}: ${def.options.description}` : undefined,
      });
    }
  }
  return values;
};

const describeFlags = (spec: ParamSpec): string => {
  const entries = Object.entries(spec).map(([name, def]) => `--${kebab(name)} (${def.typeName}${'default' in def.options ? ', optional' : ''})`);
  return entries.length ? entries.join(', ') : 'no parameters';
};

export interface RootSelection {
  readonly taskName?: string;
  readonly taskArgs: readonly string[];
  /** The command the parameters came with; its options are suggested for typos. */
  readonly command?: CommandOptions;
}

/** Parameters given without a task: a typo of an option unless some exported task has that parameter. */
const argumentsWithoutTask = (classes: ReadonlyMap<string, TaskClass>, args: readonly string[], command: CommandOptions): UserError => {
  const parameterFlags = new Set([...classes.values()].flatMap((cls) => Object.keys(cls.paramSpec).flatMap((name) => [name, kebab(name)])));
  const stray = args.find((arg) => arg.startsWith('--') && !parameterFlags.has(flagName(arg)));
  if (stray !== undefined) return unknownOption(flagName(stray), command);
  return new UserError('parameters-without-task', `Parameters ${args.join(' ')} were given without a task name.`, {
    hint: 'Name the task before its parameters: b2 run pipeline.ts MyTask --some-parameter 3.',
  });
};

export const selectRoots = async (
  module: Readonly<Record<string, unknown>>,
  file: string,
  selection: RootSelection,
): Promise<Task[]> => {
  const classes = exportedTaskClasses(module);
  if (selection.taskName !== undefined) {
    const cls = classes.get(selection.taskName);
    if (!cls) {
      const names = [...new Set([...classes.values()].map((c) => familyOf(c)))];
      const suggestion = closest(selection.taskName, names);
      throw new UserError('unknown-task', `${file} exports no task named "${selection.taskName}".`, {
        hint: suggestion
          ? `Did you mean ${suggestion}? Exported tasks: ${names.join(', ')}.`
          : names.length
            ? `Exported tasks: ${names.join(', ')}.`
            : 'The file exports no task classes; export the classes you want to run by name.',
      });
    }
    return [new cls(parseTaskArguments(cls, selection.taskArgs, selection.command))];
  }
  if (selection.taskArgs.length > 0) throw argumentsWithoutTask(classes, selection.taskArgs, selection.command ?? NO_COMMAND);
  if (!('default' in module) || module.default === undefined) {
    const names = [...new Set([...classes.values()].map((c) => familyOf(c)))];
    throw new UserError('no-root', `${file} has no default export and no task was named.`, {
      hint: names.length
        ? `Name one of its tasks (b2 run ${file} ${names[0]}), or add "export default new ${names[0]}(...)".`
        : 'Export task classes and a default export: export default new MyTask().',
    });
  }
  let roots: unknown = module.default;
  if (isTaskClass(roots)) {
    roots = new roots();
  } else if (typeof roots === 'function') {
    roots = await (roots as () => unknown)();
  }
  const tasks = flattenRoots(roots, `The default export of ${file}`);
  if (tasks.length === 0) {
    throw new UserError('no-root', `The default export of ${file} gives no tasks.`, { hint: 'Return at least one task.' });
  }
  return tasks;
};
