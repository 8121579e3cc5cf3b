/**
 * The one merge of a `<system>_settings` record into the options b2
 * generates for a job. Each system hands over its own syntax as data: which
 * keys name an option, which options b2 keeps to itself, when two options
 * are the same one, and what a setting's value becomes.
 */
import type { JobSpec } from './contract.js';
import { badSettings, checkOptionKey } from './resources.js';

/** An option as b2 writes it: a name and its value, or `true` for a flag. */
export type Option = readonly [name: string, value: string | true];

export type SettingValue = JobSpec['systemSettings'][string];

/** Why b2 keeps an option to itself, and what to do instead. */
export interface Reserved {
  readonly message: string;
  readonly hint: string;
}

export interface OptionSyntax {
  /** The setting the record comes from, for messages (`lsf_settings`). */
  readonly setting: string;
  /** Throws when a key cannot name an option of this system; default: a plain option name. */
  readonly checkKey?: (key: string) => void;
  /** The option a key stands for (Slurm's `t` is `time`); default: the key itself. */
  readonly optionName?: (key: string) => string;
  /** Set for an option b2 relies on, which no setting may change. */
  readonly reserved?: (name: string, key: string) => Reserved | undefined;
  /** What makes two options one, so that a setting replaces a generated option in place; default: the name. */
  readonly identity?: (option: Option) => string;
  /**
   * The options a setting gives; undefined removes every option of that
   * name. Default: `false` removes, `true` is a flag, anything else its text.
   */
  readonly fromSetting?: (name: string, value: SettingValue) => readonly Option[] | undefined;
}

const plainSetting = (name: string, value: SettingValue): Option[] | undefined =>
  value === false ? undefined : [[name, value === true ? true : String(value)]];

const byName = ([name]: Option): string => name;

/**
 * Generated options, each replaced in place by a setting of the same
 * option; options only the settings name follow, in their order.
 */
export const mergeOptions = (generated: readonly Option[], settings: JobSpec['systemSettings'], syntax: OptionSyntax): Option[] => {
  const identity = syntax.identity ?? byName;
  const merged = new Map<string, Option>(generated.map((option) => [identity(option), option]));
  for (const [key, value] of Object.entries(settings)) {
    (syntax.checkKey ?? ((k: string) => checkOptionKey(syntax.setting, k)))(key);
    const name = syntax.optionName?.(key) ?? key;
    const reserved = syntax.reserved?.(name, key);
    if (reserved !== undefined) throw badSettings(reserved.message, reserved.hint);
    const options = (syntax.fromSetting ?? plainSetting)(name, value);
    if (options === undefined) {
      for (const [id, option] of merged) if (option[0] === name) merged.delete(id);
    } else {
      for (const option of options) merged.set(identity(option), option);
    }
  }
  return [...merged.values()];
};

/** A value of the system's own settings (`JobSpec.systemOptions`), or its default when the job carries none. */
export const systemOption = (job: JobSpec, key: string, fallback: string): string => job.systemOptions?.[key] ?? fallback;
