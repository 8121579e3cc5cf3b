import { beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { param } from '../../src/pipeline/params.js';
import { Task, inherits, requires } from '../../src/pipeline/task.js';
import { setSetting, clearSetting } from '../../src/settings/index.js';
import { freshPipelineDir, Leaf, Sum } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await freshPipelineDir();
});

describe('Task parameters', () => {
  it('types and fills parameters, defaults included', () => {
    const leaf = new Leaf({ n: 3 });
    const n: number = leaf.n;
    expect(n).toBe(3);
    expect(leaf.label).toBe('x');
    expect(leaf.toString()).toBe('Leaf(n=3, label="x")');
  });

  it('names a missing, unknown or ill-typed parameter', () => {
    // @ts-expect-error n is required
    expect(() => new Leaf({})).toThrow('Leaf needs a value for parameter "n" (an integer)');
    // @ts-expect-error m does not exist
    expect(() => new Leaf({ n: 1, m: 2 })).toThrow('Leaf has no parameter "m"');
    // @ts-expect-error n is a number
    expect(() => new Leaf({ n: 'one' })).toThrow('Parameter "n" of Leaf: expected an integer, got "one"');
  });

  it('takes parameters named like Task members through paramValues, keeping the members', () => {
    class Simulate extends Task.with({ run: param.int(), output: param.string({ default: 'mc' }) }) {
      override *output() {
        yield this.addToOutput('events.txt');
      }
      override run(): string {
        const run: number = this.paramValues.run;
        const output: string = this.paramValues.output;
        return `${run} ${output}`;
      }
    }
    const task = new Simulate({ run: 7 });
    expect(task.run()).toBe('7 mc');
    expect(task.getAllOutputFileNames()).toEqual([path.join(dir, 'run=7', 'output=mc', 'events.txt')]);
    expect(task.toString()).toBe('Simulate(run=7, output="mc")');
    expect(new Simulate({ run: 8 }).taskId).not.toBe(task.taskId);
  });

  it('gives deterministic ids from significant parameters only', () => {
    class Noisy extends Task.with({ a: param.int(), verbose: param.bool({ default: false, significant: false }) }) {}
    expect(new Noisy({ a: 1 }).taskId).toBe(new Noisy({ a: 1, verbose: true }).taskId);
    expect(new Noisy({ a: 1 }).taskId).not.toBe(new Noisy({ a: 2 }).taskId);
    expect(new Leaf({ n: 3 }).taskId).toMatch(/^Leaf_x_3_[0-9a-f]{10}$/);
    // Known value: the id must not change between versions or machines.
    expect(new Leaf({ n: 3 }).taskId).toBe(new Leaf({ n: 3, label: 'x' }).taskId);
  });
});

describe('output paths', () => {
  it('puts parameters in declaration order under result_dir, relative to the pipeline folder', () => {
    expect(new Leaf({ n: 3 }).getOutputFileName('leaf.txt')).toBe(path.join(dir, 'n=3', 'label=x', 'leaf.txt'));
    setSetting('result_dir', 'results');
    try {
      expect(new Leaf({ n: 4 }).getOutputFileName('leaf.txt')).toBe(path.join(dir, 'results', 'n=4', 'label=x', 'leaf.txt'));
    } finally {
      clearSetting('result_dir');
    }
  });

  it('follows parameter_separator and use_parameter_name_in_output', () => {
    setSetting('parameter_separator', '_EQ_');
    expect(new Leaf({ n: 1 }).getOutputFileName('leaf.txt')).toBe(path.join(dir, 'n_EQ_1', 'label_EQ_x', 'leaf.txt'));
    clearSetting('parameter_separator');
    setSetting('use_parameter_name_in_output', false);
    expect(new Leaf({ n: 1 }).getOutputFileName('leaf.txt')).toBe(path.join(dir, '1', 'x', 'leaf.txt'));
    clearSetting('use_parameter_name_in_output');
  });

  it('hides hidden parameters and hashes hashed ones', () => {
    class Shaped extends Task.with({
      files: param.list({ hashed: true }),
      tag: param.string({ hidden: true }),
      custom: param.list({ hashed: true, hashFunction: (v: unknown[]) => v.join('_') }),
    }) {
      override *output() {
        yield this.addToOutput('o.txt');
      }
    }
    const task = new Shaped({ files: ['a/b', 'c'], tag: 'v1', custom: [0, 1, 2] });
    expect(task.getOutputFileName('o.txt')).toBe(path.join(dir, 'files=hashed_9ffd65e21cff2d72f4c8491de5805527', 'custom=0_1_2', 'o.txt'));
  });

  it('refuses a value containing "/" as a folder name, pointing at hashed', () => {
    class Named extends Task.with({ name: param.string() }) {
      override *output() {
        yield this.addToOutput('o.txt');
      }
    }
    expect(() => new Named({ name: 'a/b' }).getOutputFileName('o.txt')).toThrow(/cannot be used as a folder name/);
  });
});

describe('inputs', () => {
  it('lists inputs per name, and demands exactly one for getInputFileName', () => {
    const sum = new Sum({ count: 2 });
    const inputs = sum.getInputFileNames();
    expect(Object.keys(inputs)).toEqual(['leaf.txt']);
    expect(inputs['leaf.txt']).toHaveLength(2);
    expect(() => sum.getInputFileName('leaf.txt')).toThrow('has 2 input files named "leaf.txt", not one');
    expect(new Sum({ count: 1 }).getInputFileName()).toBe(path.join(dir, 'n=0', 'label=x', 'leaf.txt'));
    expect(() => sum.getInputFileNames('nope')).toThrow('has no input named "nope"');
  });

  it('groups inputs by requirement key for record-valued requires()', () => {
    class Fit extends Task {
      override requires() {
        return { signal: [new Leaf({ n: 1 }), new Leaf({ n: 2 })], background: new Leaf({ n: 9 }) };
      }
    }
    const fit = new Fit();
    expect(fit.getInputFileNamesFromDict('signal', 'leaf.txt')).toHaveLength(2);
    expect(fit.getInputFileNamesFromDict('background')).toEqual({ 'leaf.txt': [path.join(dir, 'n=9', 'label=x', 'leaf.txt')] });
    expect(() => fit.getInputFileNamesFromDict('calib')).toThrow('has no key "calib"');
  });

  it('complete() is true once every output exists', () => {
    const leaf = new Leaf({ n: 5 });
    expect(leaf.complete()).toBe(false);
    mkdirSync(path.dirname(leaf.getOutputFileName('leaf.txt')), { recursive: true });
    writeFileSync(leaf.getOutputFileName('leaf.txt'), '5');
    expect(leaf.complete()).toBe(true);
  });
});

describe('inherits, requires and clone', () => {
  it('inherits copies parameters except the excluded ones', () => {
    class Plot extends Task.with({ ...inherits(Leaf, { without: ['label'] }), style: param.string({ default: 'bar' }) }) {}
    expect(Object.keys(Plot.paramSpec)).toEqual(['n', 'style']);
    const plot = new Plot({ n: 2 });
    expect(plot.n).toBe(2);
    expect(plot.clone(Leaf).toString()).toBe('Leaf(n=2, label="x")');
  });

  it('requires() takes over the parameters and requires the clone', () => {
    class Histogram extends requires(Leaf, { fixed: { label: 'fixed' } }) {
      override *output() {
        yield this.addToOutput('h.txt');
      }
    }
    const histogram = new Histogram({ n: 7 });
    expect(Object.keys(Histogram.paramSpec)).toEqual(['n']);
    expect(histogram.getInputFileName('leaf.txt')).toBe(path.join(dir, 'n=7', 'label=fixed', 'leaf.txt'));
  });
});
