/**
 * The pipeline API: `Task`, `ExternalTask`, `WrapperTask`, typed parameters
 * through `Task.with({...})`, requirements, outputs and their paths.
 *
 *   class MyNumberTask extends Task.with({ someParameter: param.int() }) {
 *     *output() { yield this.addToOutput('number.txt'); }
 *     run() { writeFileSync(this.getOutputFileName('number.txt'), `${this.someParameter}`); }
 *   }
 */
import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import {
  checkParamDefinition,
  defaultValue,
  describeParamValue,
  type ParamDef,
  type ParamSpec,
} from './params.js';
import { computeTaskId } from './identity.js';
import { outputPath } from './paths.js';
import { kebab } from '../util/names.js';

/** Marks objects made by any copy of b2's Task, so instanceof works across copies. */
export const TASK_BRAND = Symbol.for('b2.Task');
/** Internal per-instance state, out of the way of user-defined members. */
export const INTERNAL = Symbol.for('b2.Task.internal');

export interface OutputTarget {
  /** The name given to addToOutput (the key in getInputFileNames). */
  readonly name: string;
  /** Final absolute path. */
  readonly path: string;
}

/** What requires() may return. */
export type Requirements =
  | Task
  | readonly Requirements[]
  | { readonly [key: string]: Requirements }
  | Iterable<Requirements>
  | undefined
  | null;

export interface TaskInternal {
  values: Record<string, unknown>;
  id?: string;
  outputs?: readonly OutputTarget[];
  requirements?: NormalizedRequirements;
  /** Set while run() executes with atomic outputs: name -> temporary path. */
  temporaryOutputs?: Map<string, string>;
  /** Set while run() executes: how this process waits for tasks that run() requires (see dynamic.ts). */
  requireHandler?: (tasks: readonly Task[]) => Promise<void>;
}

export interface NormalizedRequirements {
  readonly tasks: readonly Task[];
  /** Present when requires() returned a record: key -> tasks under that key. */
  readonly byKey?: ReadonlyMap<string, readonly Task[]>;
}

declare const SPEC: unique symbol;
type ValueOf<D> = D extends ParamDef<infer T, any> ? T : never;
type RequiredKeys<S> = { [K in keyof S]: S[K] extends ParamDef<any, true> ? never : K }[keyof S];
type OptionalKeys<S> = Exclude<keyof S, RequiredKeys<S>>;
export type ParamValues<S> = { readonly [K in keyof S]: ValueOf<S[K]> };
export type ParamInput<S> = { [K in RequiredKeys<S>]: ValueOf<S[K]> } & { [K in OptionalKeys<S>]?: ValueOf<S[K]> };
/** The parameter spec a task type carries (type level only). */
export type SpecOf<T> = T extends { readonly [SPEC]?: infer S } ? (S extends ParamSpec ? S : {}) : {};
type ConstructorArgs<S> = {} extends ParamInput<S> ? [params?: ParamInput<S>] : [params: ParamInput<S>];

type AnyTaskClass = abstract new (...args: any[]) => Task;
/**
 * A task class with parameters S added to C. A parameter named like a Task
 * member (`run`, `output`, ...) is no property, so that the member stays:
 * it is read as `this.paramValues.run`, which has every parameter, typed.
 */
export type WithParams<C extends AnyTaskClass, S extends object> = Omit<C, 'prototype'> & {
  new (...args: ConstructorArgs<SpecOf<InstanceType<C>> & S>): InstanceType<C> &
    ParamValues<Omit<S, keyof Task>> & {
      readonly [SPEC]?: SpecOf<InstanceType<C>> & S;
      readonly paramValues: ParamValues<SpecOf<InstanceType<C>> & S>;
    };
  prototype: InstanceType<C>;
};

export interface TaskClass<T extends Task = Task> {
  new (...args: any[]): T;
  readonly paramSpec: ParamSpec;
  readonly family?: string;
  readonly prototype: T;
  readonly name: string;
}

/** The family of a task class: `static family`, else the class name. */
export const familyOf = (cls: { family?: string; name: string }): string => cls.family ?? cls.name;

const classSpec = (cls: Function): ParamSpec => (cls as unknown as { paramSpec?: ParamSpec }).paramSpec ?? {};

const isTaskLike = (value: unknown): value is Task =>
  typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK_BRAND] === true;

export class Task {
  /** Overrides the family (default: the class name) in ids and log paths. */
  static family?: string;
  /** Every parameter of this class, in declaration order (base classes first). */
  static readonly paramSpec: ParamSpec = {};

  declare readonly [SPEC]?: {};
  declare readonly [INTERNAL]: TaskInternal;

  static [Symbol.hasInstance](value: unknown): boolean {
    if (!isTaskLike(value)) return false;
    // Within one copy of b2, fall back to the prototype chain for subclasses;
    // across copies, the brand says "a task", and for Task itself that suffices.
    return this === Task || Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /**
   * A subclass with more parameters. Parameters of the base class come first,
   * so output paths list them in that order.
   */
  static with<C extends AnyTaskClass, S extends ParamSpec>(this: C, spec: S): WithParams<C, S> {
    const base = this as unknown as typeof Task;
    const combined: ParamSpec = { ...classSpec(base) };
    for (const [name, def] of Object.entries(spec)) {
      checkParamDefinition(base.name, name, def);
      combined[name] = def;
    }
    const derived = class extends base {};
    Object.defineProperty(derived, 'paramSpec', { value: Object.freeze(combined), enumerable: true });
    Object.defineProperty(derived, 'name', { value: base.name });
    return derived as unknown as WithParams<C, S>;
  }

  constructor(params: Record<string, unknown> = {}) {
    const cls = this.constructor as typeof Task;
    const spec = classSpec(cls);
    const family = familyOf(cls);
    const values: Record<string, unknown> = {};
    for (const name of Object.keys(params)) {
      if (!(name in spec)) {
        const known = Object.keys(spec);
        throw new UserError('unknown-parameter', `${family} has no parameter "${name}".`, {
          hint: known.length ? `Its parameters are: ${known.join(', ')}.` : `${family} takes no parameters.`,
        });
      }
    }
    for (const [name, def] of Object.entries(spec)) {
      let value: unknown = params[name];
      if (value === undefined) {
        const fallback = defaultValue(def);
        if (!fallback.has) {
          throw new UserError('missing-parameter', `${family} needs a value for parameter "${name}" (${def.typeName}).`, {
            hint: def.options.description
              ? `${name}: ${def.options.description}`
              : `Pass it when creating the task, or on the command line as --${kebab(name)} VALUE.`,
          });
        }
        value = fallback.value;
      }
      try {
        values[name] = def.normalize(value);
      } catch (error) {
        throw new UserError(
          'bad-parameter',
          `Parameter "${name}" of ${family}: ${(error as Error).message}.`,
          { hint: def.options.description ? `${name}: ${def.options.description}` : undefined },
        );
      }
      if (!TASK_MEMBERS.has(name)) Object.defineProperty(this, name, { value: values[name], enumerable: true, writable: false, configurable: true });
    }
    Object.defineProperty(this, INTERNAL, { value: { values } satisfies TaskInternal, enumerable: false });
  }

  /** The family: `static family`, else the class name. */
  get taskFamily(): string {
    return familyOf(this.constructor as typeof Task);
  }

  /** Deterministic id: family + hash of the significant parameters; the same on every machine. */
  get taskId(): string {
    const internal = this[INTERNAL];
    return (internal.id ??= computeTaskId(this.taskFamily, classSpec(this.constructor), internal.values));
  }

  /** Parameter values by name (significant and not), also those named like a Task member (`run`). */
  get paramValues(): Readonly<Record<string, unknown>> {
    return this[INTERNAL].values;
  }

  /** Tasks this one needs. May return a task, an array, a record of tasks, or be a generator. */
  requires(): Requirements {
    return [];
  }

  /**
   * Inside run(): tasks this one finds out it needs only while running
   * (dynamic dependencies). Resolves, to what it was given, once they are
   * complete; complete tasks return at once. Locally the task waits while
   * the run makes them; in a batch job the job ends and is submitted again
   * once they are complete, so run() starts over from the beginning: keep
   * what comes before the last require() cheap and free of side effects.
   * Rejects when one of them fails. The classes of the tasks must be
   * exported from the pipeline module (they are re-created by class).
   */
  async require<R extends Requirements>(tasks: R): Promise<R> {
    const handler = this[INTERNAL].requireHandler;
    if (!handler) {
      throw new UserError('require-outside-run', `${this.toString()}.require() was called outside its run().`, {
        hint: 'Tasks known before the task runs belong in requires(); require() is for those run() finds out about.',
      });
    }
    const wanted = new Map<string, Task>();
    for (const task of collectTasks(this, 'require()', tasks)) wanted.set(task.taskId, task);
    const incomplete = [...wanted.values()].filter((task) => !completeOrThrow(task));
    if (incomplete.length > 0) await handler(incomplete);
    return tasks;
  }

  /** Outputs, each from addToOutput(name). A generator, an array, or a single target. */
  output(): Iterable<OutputTarget | string> | OutputTarget | string | undefined {
    return [];
  }

  /** The work. May be async. Write outputs to getOutputFileName(name). */
  run(): unknown {
    throw new UserError('no-run', `${this.taskFamily} has no run() method.`, {
      hint: 'Define run(), or extend ExternalTask for inputs that exist already.',
    });
  }

  /** Complete when every output exists (tasks without outputs are never complete). */
  complete(): boolean {
    const outputs = outputsOf(this);
    return outputs.length > 0 && outputs.every((target) => existsSync(target.path));
  }

  /**
   * A target under result_dir/<param folders>/name. Inside run() its path is
   * the temporary one, like every other way to an output's path: whatever
   * run() writes becomes the output only when it succeeds.
   */
  addToOutput(name: string): OutputTarget {
    return { name, path: this[INTERNAL].temporaryOutputs?.get(name) ?? outputPath(this, name) };
  }

  /** The path to write output `name` to. Inside run() this is a temporary path, moved into place on success. */
  getOutputFileName(name: string): string {
    const internal = this[INTERNAL];
    const temporary = internal.temporaryOutputs?.get(name);
    if (temporary !== undefined) return temporary;
    const target = outputsOf(this).find((t) => t.name === name);
    if (!target) {
      const names = outputsOf(this).map((t) => t.name);
      throw new UserError('unknown-output', `${this.taskFamily} has no output named "${name}".`, {
        hint: names.length ? `Its outputs are: ${names.join(', ')}.` : `${this.taskFamily} declares no outputs.`,
      });
    }
    return target.path;
  }

  /** Paths of every output: the final ones, or inside run() the temporary ones (see getOutputFileName). */
  getAllOutputFileNames(): string[] {
    const temporary = this[INTERNAL].temporaryOutputs;
    return outputsOf(this).map((target) => temporary?.get(target.name) ?? target.path);
  }

  /** Input paths from all requirements: name -> paths (several tasks may give the same name). */
  getInputFileNames(): Record<string, string[]>;
  getInputFileNames(name: string): string[];
  getInputFileNames(name?: string): Record<string, string[]> | string[] {
    return inputsByName(this, requirementsOf(this).tasks, name);
  }

  /** The one input file called `name` (or the only input when no name is given). */
  getInputFileName(name?: string): string {
    const inputs = this.getInputFileNames();
    const names = Object.keys(inputs);
    let key = name;
    if (key === undefined) {
      if (names.length !== 1) {
        throw new UserError('ambiguous-input', `${this.taskFamily}.getInputFileName() needs a name: the inputs are ${listOrNone(names)}.`);
      }
      key = names[0]!;
    }
    const paths = inputs[key];
    if (!paths) {
      throw new UserError('unknown-input', `${this.taskFamily} has no input named "${key}"; its inputs are ${listOrNone(names)}.`);
    }
    if (paths.length !== 1) {
      throw new UserError(
        'ambiguous-input',
        `${this.taskFamily} has ${paths.length} input files named "${key}", not one.`,
        { hint: 'Use getInputFileNames(name) to get all of them.' },
      );
    }
    return paths[0]!;
  }

  /** Like getInputFileNames, for the tasks under one key of a requires() record. */
  getInputFileNamesFromDict(requirementKey: string): Record<string, string[]>;
  getInputFileNamesFromDict(requirementKey: string, name: string): string[];
  getInputFileNamesFromDict(requirementKey: string, name?: string): Record<string, string[]> | string[] {
    const requirements = requirementsOf(this);
    const tasks = requirements.byKey?.get(requirementKey);
    if (!tasks) {
      const keys = requirements.byKey ? [...requirements.byKey.keys()] : [];
      throw new UserError(
        'unknown-requirement-key',
        `${this.taskFamily}.requires() has no key "${requirementKey}"; its keys are ${listOrNone(keys)}.`,
        { hint: 'getInputFileNamesFromDict needs requires() to return a record such as { data: [...], calib: task }.' },
      );
    }
    return inputsByName(this, tasks, name);
  }

  /** A task of another class with this task's values for the parameters both share, plus overrides. */
  clone<T extends Task>(cls: new (params: any) => T, overrides: Record<string, unknown> = {}): T {
    const spec = classSpec(cls);
    const values: Record<string, unknown> = {};
    const own = this[INTERNAL].values;
    for (const name of Object.keys(spec)) if (name in own) values[name] = own[name];
    return new cls({ ...values, ...overrides });
  }

  /** `Family(a=1, b="x")`, as in logs and summaries. */
  toString(): string {
    const values = this[INTERNAL].values;
    const parts = Object.keys(values).map((name) => `${name}=${describeParamValue(toJSONValue(this, name))}`);
    return `${this.taskFamily}(${parts.join(', ')})`;
  }
}
Object.defineProperty(Task.prototype, TASK_BRAND, { value: true });

/** Never run: complete iff its outputs exist (data made outside the pipeline). */
export class ExternalTask extends Task {
  override run(): never {
    throw new UserError('external-task-missing', `${this.taskFamily} is an external task and its outputs are missing.`, {
      hint: `Provide ${this.getAllOutputFileNames().join(', ') || 'its outputs'} before running.`,
    });
  }
}

/** Groups requirements: complete iff every requirement is complete; nothing to run. */
export class WrapperTask extends Task {
  override complete(): boolean {
    return requirementsOf(this).tasks.every((task) => task.complete());
  }
  override run(): void {}
}

/** A WrapperTask that keeps the empty run(): done once its requirements are, with no process or job of its own. */
export const runsNothing = (task: Task): boolean => task instanceof WrapperTask && task.run === WrapperTask.prototype.run;

const listOrNone = (names: readonly string[]): string => (names.length ? names.map((n) => `"${n}"`).join(', ') : 'none');

/** Names a parameter may have but not shadow as a property: `run` is the natural name of a run number. */
const TASK_MEMBERS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Task.prototype));

/** JSON form of one parameter value (dates as YYYY-MM-DD). */
export const toJSONValue = (task: Task, name: string): unknown => {
  const def = classSpec(task.constructor)[name];
  const value = task[INTERNAL].values[name];
  return def ? def.toJSON(value as never) : value;
};

/** All parameter values in JSON form, for handing a task to another process. */
export const paramsToJSON = (task: Task): Record<string, unknown> => {
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(task[INTERNAL].values)) result[name] = toJSONValue(task, name);
  return result;
};

/** Outputs of a task, computed once. */
export const outputsOf = (task: Task): readonly OutputTarget[] => {
  const internal = task[INTERNAL];
  if (internal.outputs) return internal.outputs;
  const raw = task.output();
  const list: OutputTarget[] = [];
  const add = (item: unknown): void => {
    if (typeof item === 'string') list.push(task.addToOutput(item));
    else if (item && typeof item === 'object' && typeof (item as OutputTarget).path === 'string' && typeof (item as OutputTarget).name === 'string') {
      list.push(item as OutputTarget);
    } else if (item && typeof item === 'object' && !Array.isArray(item) && !(Symbol.iterator in item)) {
      // b2luigi-style { name: target } records
      for (const value of Object.values(item)) add(value);
    } else if (item && typeof item === 'object' && Symbol.iterator in item) {
      for (const inner of item as Iterable<unknown>) add(inner);
    } else if (item !== undefined && item !== null) {
      throw new UserError('bad-output', `${task.taskFamily}.output() gave ${describeParamValue(item)}, which is not an output.`, {
        hint: 'Yield this.addToOutput("name") for each output.',
      });
    }
  };
  add(raw);
  internal.outputs = list;
  return list;
};

/** requires() flattened to a list of tasks (and per key, for records); computed once per task. */
export const requirementsOf = (task: Task): NormalizedRequirements => {
  const internal = task[INTERNAL];
  if (internal.requirements) return internal.requirements;
  const raw = task.requires();
  const tasks: Task[] = [];
  let byKey: Map<string, Task[]> | undefined;
  if (raw !== null && typeof raw === 'object' && !isTaskLike(raw) && !(Symbol.iterator in raw)) {
    byKey = new Map();
    for (const [key, value] of Object.entries(raw)) {
      const group = collectTasks(task, 'requires()', value);
      byKey.set(key, group);
      tasks.push(...group);
    }
  } else {
    tasks.push(...collectTasks(task, 'requires()', raw));
  }
  internal.requirements = byKey ? { tasks, byKey } : { tasks };
  return internal.requirements;
};

/** The tasks in a requirements value (a task, arrays, records, iterables of them), in order. */
const collectTasks = (task: Task, method: string, value: unknown): Task[] => {
  const into: Task[] = [];
  const collect = (item: unknown): void => {
    if (item === undefined || item === null) return;
    if (isTaskLike(item)) {
      into.push(item);
      return;
    }
    if (typeof item === 'object' && Symbol.iterator in item) {
      for (const inner of item as Iterable<unknown>) collect(inner);
      return;
    }
    if (typeof item === 'object' && method === 'require()') {
      for (const inner of Object.values(item)) collect(inner);
      return;
    }
    throw new UserError(
      'bad-requirement',
      `${task.toString()}.${method} ${method === 'require()' ? 'was given' : 'returned'} ${describeRequirement(item)}, which is not a task.`,
      {
        hint:
          method === 'requires()'
            ? 'requires() may return a task, an array or a record of tasks, or yield tasks.'
            : 'require() takes a task, an array or a record of tasks.',
      },
    );
  };
  collect(value);
  return into;
};

/** A task's complete(), its exception named after it. */
const completeOrThrow = (task: Task): boolean => {
  try {
    return task.complete();
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError('task-error', `${task.toString()}.complete() threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
};

const describeRequirement = (value: unknown): string => {
  if (typeof value === 'function') return `the class or function ${(value as Function).name || '(anonymous)'} (did you forget "new"?)`;
  return describeParamValue(value);
};

const inputsByName = (
  task: Task,
  tasks: readonly Task[],
  name: string | undefined,
): Record<string, string[]> | string[] => {
  const byName: Record<string, string[]> = {};
  for (const required of tasks) {
    for (const target of outputsOf(required)) (byName[target.name] ??= []).push(target.path);
  }
  if (name === undefined) return byName;
  const paths = byName[name];
  if (!paths) {
    throw new UserError('unknown-input', `${task.taskFamily} has no input named "${name}"; its inputs are ${listOrNone(Object.keys(byName))}.`);
  }
  return paths;
};

type SpecOfClass<C> = C extends abstract new (...args: any[]) => infer I ? SpecOf<I> : {};

/**
 * Parameters of other task classes, to spread into `Task.with({...})`
 * (b2luigi's @inherits): `Task.with({ ...inherits(A, { without: ['x'] }), y: param.int() })`.
 */
export function inherits<C extends AnyTaskClass, W extends keyof SpecOfClass<C> & string = never>(
  cls: C,
  options: { without?: readonly W[] } = {},
): Omit<SpecOfClass<C>, W> {
  const without = new Set<string>(options.without ?? []);
  const spec: ParamSpec = {};
  for (const [name, def] of Object.entries(classSpec(cls))) if (!without.has(name)) spec[name] = def;
  return spec as Omit<SpecOfClass<C>, W>;
}

/**
 * A base class that requires `cls` (b2luigi's @requires): it takes over the
 * parameters of `cls` except the fixed ones, and requires() yields the clone.
 *   class Plot extends requires(Histogram, { fixed: { bins: 100 } }).with({ style: param.string() }) {}
 */
export function requires<C extends AnyTaskClass, F extends keyof SpecOfClass<C> & string = never>(
  cls: C,
  options: { fixed?: { readonly [K in F]: ValueOf<SpecOfClass<C>[K]> } } = {},
): WithParams<typeof Task, Omit<SpecOfClass<C>, F>> {
  const fixed = (options.fixed ?? {}) as Record<string, unknown>;
  const spec = inherits(cls, { without: Object.keys(fixed) as never[] }) as ParamSpec;
  const Base = Task.with(spec) as unknown as typeof Task;
  const requiring = class extends Base {
    override requires(): Requirements {
      return this.clone(cls as unknown as new (params: any) => Task, fixed);
    }
  };
  Object.defineProperty(requiring, 'name', { value: `Requires${familyOf(cls as unknown as typeof Task)}` });
  return requiring as unknown as WithParams<typeof Task, Omit<SpecOfClass<C>, F>>;
}

export const isTask = isTaskLike;
