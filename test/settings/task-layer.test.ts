import { beforeEach, describe, expect, it } from '@jest/globals';
import { param } from '../../src/pipeline/params.js';
import { Task } from '../../src/pipeline/task.js';
import { explainSetting, getSetting, resetSettings, setSetting, takeSettingsWarnings } from '../../src/settings/index.js';
import { init, tempDir } from './helpers.js';
import { BATCH_SYSTEM_ALIASES } from '../../src/systems/registry.js';

// What batch_system may be: every name and alias of the registry.
const BATCH_SYSTEM_CHOICES = ['auto', 'local', ...BATCH_SYSTEM_ALIASES].map((name) => JSON.stringify(name)).join(', ');

beforeEach(async () => {
  resetSettings();
  await init({ cwd: tempDir() });
});

class Reco extends Task.with({ events: param.int() }) {
  batch_system = 'htcondor';

  /** More memory for bigger inputs: the method sees the task's parameters. */
  memory(): string {
    return this.events > 1000 ? '8GB' : '2GB';
  }

  get walltime(): string {
    return `${Math.ceil(this.events / 1000)}h`;
  }

  override run(): void {}
}

describe('settings given by the task', () => {
  it('reads an attribute, a getter and a method named like the key', () => {
    const task = new Reco({ events: 10 });
    expect(getSetting('batch_system', { task })).toBe('htcondor');
    expect(getSetting('memory', { task })).toBe(2048);
    expect(getSetting('walltime', { task })).toBe(3600);
  });

  it('calls methods per task, so a value may depend on parameters', () => {
    expect(getSetting('memory', { task: new Reco({ events: 10 }) })).toBe(2048);
    expect(getSetting('memory', { task: new Reco({ events: 5000 }) })).toBe(8192);
    expect(getSetting('walltime', { task: new Reco({ events: 5000 }) })).toBe(5 * 3600);
  });

  it('accepts the camelCase form of the key', () => {
    class Camel extends Task {
      batchSystem = 'slurm';
      get jobName(): string {
        return 'camel';
      }
      slurmSettings(): Record<string, string> {
        return { partition: 'long' };
      }
    }
    const task = new Camel();
    expect(getSetting('batch_system', { task })).toBe('slurm');
    expect(getSetting('job_name', { task })).toBe('camel');
    expect(getSetting('slurm_settings', { task })).toEqual({ partition: 'long' });
  });

  it('prefers the snake_case member when both exist', () => {
    const task = { queue: 'snake', Queue: 'other', job_slots: 2, jobSlots: 4 };
    expect(getSetting('job_slots', { task })).toBe(2);
  });

  it('reads inherited class members', () => {
    class Base extends Task {
      retries = 3;
      get queue(): string {
        return 'short';
      }
    }
    class Derived extends Base {}
    const task = new Derived();
    expect(getSetting('retries', { task })).toBe(3);
    expect(getSetting('queue', { task })).toBe('short');
  });

  it('uses task parameters named like a setting', () => {
    class Sized extends Task.with({ queue: param.string() }) {}
    expect(getSetting('queue', { task: new Sized({ queue: 'long' }) })).toBe('long');
  });

  it('ignores members every object inherits from Object.prototype', () => {
    setSetting('to_string', 'from-setting');
    setSetting('constructor', 'from-setting');
    setSetting('toString', 'from-setting');
    setSetting('value_of', 'from-setting');
    class Plain {
      queue = 'q';
    }
    for (const task of [new Plain(), {}, new Reco({ events: 1 })]) {
      expect(getSetting('constructor', { task })).toBe('from-setting');
      expect(getSetting('value_of', { task })).toBe('from-setting');
    }
    for (const task of [new Plain(), {}]) {
      expect(getSetting('toString', { task })).toBe('from-setting');
      expect(getSetting('to_string', { task })).toBe('from-setting');
    }
  });

  it('does count a task\'s own member whose name Object.prototype also has', () => {
    class Custom extends Task {
      override toString(): string {
        return 'custom';
      }
    }
    setSetting('toString', 'from-setting');
    expect(getSetting('toString', { task: new Custom() })).toBe('custom');
  });

  it('lets an exception thrown by a getter or method propagate', () => {
    class Broken extends Task {
      get queue(): string {
        throw new TypeError('no queue for you');
      }
      memory(): number {
        throw new RangeError('too big');
      }
    }
    expect(() => getSetting('queue', { task: new Broken() })).toThrow(TypeError);
    expect(() => getSetting('memory', { task: new Broken() })).toThrow('too big');
  });

  it('falls through when the member is undefined (an optional field left unset)', () => {
    class Maybe extends Task {
      queue?: string = undefined;
      cpus(): number | undefined {
        return undefined;
      }
    }
    setSetting('queue', 'from-setting');
    const task = new Maybe();
    expect(getSetting('queue', { task })).toBe('from-setting');
    expect(getSetting('cpus', { task, default: undefined })).toBeUndefined();
  });

  it('checks the type of task values and names the task and member', () => {
    class Wrong extends Task {
      workers(): string {
        return 'many';
      }
      get memory(): string {
        return 'lots';
      }
      batch_system = 'kubernetes';
    }
    const task = new Wrong();
    expect(() => getSetting('workers', { task })).toThrow(/workers \(from task Wrong \(method workers\)\): "many" is not an integer ≥ 1/);
    expect(() => getSetting('memory', { task })).toThrow(/memory \(from task Wrong \(getter memory\)\): "lots" is not megabytes/);
    expect(() => getSetting('batch_system', { task })).toThrow(
      `batch_system (from task Wrong (attribute batch_system)): "kubernetes" is not one of ${BATCH_SYSTEM_CHOICES}`,
    );
  });

  it('names the kind of member in explainSetting', () => {
    const task = new Reco({ events: 1 });
    expect(explainSetting('batch_system', task).source).toBe('task Reco (attribute batch_system)');
    expect(explainSetting('memory', task).source).toBe('task Reco (method memory)');
    expect(explainSetting('walltime', task).source).toBe('task Reco (getter walltime)');
  });

  it('accepts a deprecated name on the task, with a warning', () => {
    const task = { result_path: 'old-results', taskFamily: 'Old' };
    takeSettingsWarnings();
    expect(getSetting('result_dir', { task })).toBe('old-results');
    expect(takeSettingsWarnings()).toEqual(['The setting name result_path (on task Old) is deprecated; use result_dir instead.']);
  });

  it('returns copies: changing a returned list does not change the task', () => {
    const task = { executable_prefix: ['strace'] };
    getSetting<string[]>('executable_prefix', { task }).push('-f');
    expect(getSetting('executable_prefix', { task })).toEqual(['strace']);
    expect(task.executable_prefix).toEqual(['strace']);
  });
});
