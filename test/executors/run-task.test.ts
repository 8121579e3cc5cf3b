/**
 * Atomic outputs: whichever way run() gets the paths of its outputs, it
 * writes to temporary names that become the outputs only when it succeeds.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runTask } from '../../src/executors/run-task.js';
import { param } from '../../src/pipeline/params.js';
import { Task, type OutputTarget } from '../../src/pipeline/task.js';
import { freshPipelineDir } from '../pipeline/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await freshPipelineDir();
});

/** The ways a task can learn where to write its two outputs. */
const ROUTES: Record<string, (task: Task) => string[]> = {
  getOutputFileName: (task) => ['a.txt', 'b.txt'].map((name) => task.getOutputFileName(name)),
  getAllOutputFileNames: (task) => task.getAllOutputFileNames(),
  'output()[i].path': (task) => {
    const outputs = [...(task.output() as Iterable<OutputTarget>)];
    return [outputs[0]!.path, outputs[1]!.path];
  },
  'iterating output()': (task) => {
    const paths: string[] = [];
    for (const target of task.output() as Iterable<OutputTarget>) paths.push(target.path);
    return paths;
  },
  'addToOutput(name).path': (task) => [task.addToOutput('a.txt').path, task.addToOutput('b.txt').path],
};

/** Writes its first output whole and part of the second, then fails when `fail` is set. */
class TwoOutputs extends Task.with({ route: param.string(), fail: param.bool({ default: false }) }) {
  override *output() {
    yield this.addToOutput('a.txt');
    yield this.addToOutput('b.txt');
  }
  override run() {
    const [a, b] = ROUTES[this.route]!(this);
    writeFileSync(a!, 'complete');
    writeFileSync(b!, 'trunc');
    if (this.fail) throw new Error('killed mid-write');
    writeFileSync(b!, 'complete');
  }
}

describe.each(Object.keys(ROUTES))('outputs written through %s', (route) => {
  it('do not exist after run() failed mid-write, and no temporary file is left', async () => {
    const task = new TwoOutputs({ route, fail: true });
    await expect(runTask(task)).rejects.toThrow('killed mid-write');
    expect(task.complete()).toBe(false);
    for (const file of task.getAllOutputFileNames()) expect(existsSync(file)).toBe(false);
    expect(readdirSync(path.dirname(task.getAllOutputFileNames()[0]!))).toEqual([]);
  });

  it('are all in place, whole, after run() succeeded', async () => {
    const task = new TwoOutputs({ route });
    await runTask(task);
    expect(task.complete()).toBe(true);
    for (const file of task.getAllOutputFileNames()) expect(readFileSync(file, 'utf8')).toBe('complete');
    expect(readdirSync(path.dirname(task.getAllOutputFileNames()[0]!)).sort()).toEqual(['a.txt', 'b.txt']);
  });
});

it('outside run(), every route gives the final paths', () => {
  const task = new TwoOutputs({ route: 'getAllOutputFileNames' });
  const final = [path.join(dir, 'route=getAllOutputFileNames', 'fail=false', 'a.txt'), path.join(dir, 'route=getAllOutputFileNames', 'fail=false', 'b.txt')];
  for (const paths of Object.values(ROUTES)) expect(paths(task)).toEqual(final);
});
