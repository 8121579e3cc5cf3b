/**
 * `b2 run pipeline.ts Task --help`: what a task takes on the command line
 * (its parameters with type, default, description and how each enters ids
 * and paths) and the settings it gives itself.
 */
import { describeParamValue, isHidden, isSignificant, type ParamDef, type ParamSpec } from '../pipeline/params.js';
import { familyOf, Task, type TaskClass } from '../pipeline/task.js';
import { camelCase } from '../settings/task-layer.js';
import { KNOWN_KEYS } from '../settings/table.js';
import { kebab } from '../util/names.js';

const defaultText = (def: ParamDef<unknown>): string => {
  if (!('default' in def.options) || def.options.default === undefined) return 'required';
  const fallback = def.options.default;
  if (typeof fallback === 'function') return 'default: computed when not given';
  return `default: ${describeParamValue(def.kind === 'date' || def.kind === 'list' || def.kind === 'object' ? def.toJSON(fallback) : fallback)}`;
};

const roleNotes = (def: ParamDef<unknown>): string[] => {
  const notes: string[] = [];
  if (!isSignificant(def)) notes.push('not significant: not part of the task id');
  if (isHidden(def)) notes.push('not part of output paths');
  else if (def.options.hashFunction) notes.push('output paths use its hash function');
  else if (def.options.hashed === 'b2luigi') notes.push("hashed in output paths (b2luigi's digest)");
  else if (def.options.hashed) notes.push('hashed in output paths');
  return notes;
};

const parameterLines = (spec: ParamSpec): string[] => {
  const entries = Object.entries(spec);
  if (entries.length === 0) return ['  (none)'];
  return entries.flatMap(([name, def]) => {
    const head = `  --${kebab(name)} <${def.kind}>  ${def.typeName}, ${defaultText(def)}`;
    const description = def.options.description ? [`      ${def.options.description}`] : [];
    const notes = roleNotes(def).map((note) => `      ${note}`);
    return [head, ...description, ...notes];
  });
};

/** Members the class (not Task itself) defines under a setting's name, snake_case or camelCase. */
const ownSettingMembers = (cls: TaskClass, paramNames: ReadonlySet<string>): string[] => {
  const found: string[] = [];
  const instance = tryInstance(cls);
  for (const key of KNOWN_KEYS) {
    for (const name of new Set([key, camelCase(key)])) {
      if (paramNames.has(name)) continue;
      const definer = definedBelowTask(cls.prototype as object, name) ?? (instance && Object.prototype.hasOwnProperty.call(instance, name) ? instance : undefined);
      if (definer === undefined) continue;
      const descriptor = Object.getOwnPropertyDescriptor(definer, name);
      const kind = descriptor?.get ? 'getter' : typeof descriptor?.value === 'function' ? 'method' : 'attribute';
      found.push(name === key ? `  ${key} (${kind})` : `  ${key} (${kind} ${name})`);
    }
  }
  return found;
};

const definedBelowTask = (prototype: object, name: string): object | undefined => {
  for (let current: object | null = prototype; current !== null && current !== Task.prototype; current = Object.getPrototypeOf(current) as object | null) {
    if (Object.prototype.hasOwnProperty.call(current, name)) return current;
  }
  return undefined;
};

// Class fields exist on instances only; a task with required parameters cannot be made without values.
const tryInstance = (cls: TaskClass): object | undefined => {
  try {
    return new cls({}) as object;
  } catch {
    return undefined;
  }
};

export const taskHelp = (cls: TaskClass, file: string): string => {
  const family = familyOf(cls);
  const spec = cls.paramSpec;
  const settings = ownSettingMembers(cls, new Set(Object.keys(spec)));
  const lines = [
    `Usage: b2 run ${file} ${family} [parameters] [options]`,
    '',
    `Parameters of ${family}:`,
    ...parameterLines(spec),
  ];
  if (settings.length > 0) lines.push('', `Settings ${family} gives itself (they win over settings files and --setting):`, ...settings);
  lines.push('', 'b2 run --help lists the options of b2 run.');
  return `${lines.join('\n')}\n`;
};
