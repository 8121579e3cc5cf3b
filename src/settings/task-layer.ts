/**
 * The task layer: a setting given by the task itself, as an attribute, a
 * getter or a method named like the key (snake_case or camelCase). This runs
 * for every lookup with a task, so the miss path is a couple of `in` checks.
 */

export interface TaskHit {
  readonly value: unknown;
  /** The member that answered, as written on the task. */
  readonly member: string;
}

const camelCache = new Map<string, string>();

/** batch_system -> batchSystem. */
export const camelCase = (key: string): string => {
  let camel = camelCache.get(key);
  if (camel === undefined) {
    camel = key.replace(/_+([a-zA-Z0-9])/g, (_, letter: string) => letter.toUpperCase());
    camelCache.set(key, camel);
  }
  return camel;
};

// Names such as `constructor` or `toString` exist on every object; only a task's own definition counts.
const OBJECT_MEMBERS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The object on the prototype chain that defines `name`, unless that is only Object.prototype. */
const owner = (task: object, name: string): object | undefined => {
  for (let current: object | null = task; current !== null; current = Object.getPrototypeOf(current) as object | null) {
    if (Object.prototype.hasOwnProperty.call(current, name)) {
      return current !== task && Object.getPrototypeOf(current) === null ? undefined : current;
    }
  }
  return undefined;
};

const defines = (task: object, name: string): boolean => {
  // Every class prototype has its own `constructor`: never a setting.
  if (!(name in task) || name === 'constructor') return false;
  return !OBJECT_MEMBERS.has(name) || owner(task, name) !== undefined;
};

const read = (task: object, name: string): unknown => {
  const value = (task as Record<string, unknown>)[name];
  // Methods may depend on the task's parameters (more memory for bigger inputs); exceptions propagate.
  return typeof value === 'function' ? (value as (this: object) => unknown).call(task) : value;
};

/**
 * The task's value for `key`, trying each name in order. A member that is
 * undefined (an optional class field left unset) does not count as a value.
 */
export const readTaskSetting = (task: object, names: readonly string[]): TaskHit | undefined => {
  for (const name of names) {
    if (!defines(task, name)) continue;
    const value = read(task, name);
    if (value !== undefined) return { value, member: name };
  }
  return undefined;
};

/** How a member is defined, for `b2 settings`: "attribute", "getter" or "method". */
export const memberKind = (task: object, member: string): string => {
  const definer = owner(task, member);
  const descriptor = definer === undefined ? undefined : Object.getOwnPropertyDescriptor(definer, member);
  if (descriptor?.get) return 'getter';
  return typeof descriptor?.value === 'function' ? 'method' : 'attribute';
};

/** "MyTask": the family when the task has one, else its class name. */
export const taskName = (task: object): string => {
  const family = (task as { taskFamily?: unknown }).taskFamily;
  if (typeof family === 'string') return family;
  const ctor = (task as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'object';
};

export const taskSource = (task: object, member: string): string => `task ${taskName(task)} (${memberKind(task, member)} ${member})`;
