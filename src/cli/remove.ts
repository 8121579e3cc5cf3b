/**
 * `--remove A,B` (their outputs and everything downstream), `--remove-only`,
 * `--keep`. A task's own removeOutput() is used when it has one; otherwise
 * its output files are deleted.
 */
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import chalk from 'chalk';
import { UserError } from '../errors.js';
import { downstreamOf, type TaskGraph } from '../pipeline/graph.js';
import { outputsOf } from '../pipeline/task.js';
import { EXIT } from './options.js';

export interface RemoveOptions {
  readonly remove: readonly string[];
  readonly removeOnly: readonly string[];
  readonly keep: readonly string[];
  readonly yes: boolean;
}

const confirm = async (question: string): Promise<boolean> => {
  if (!process.stdin.isTTY) {
    throw new UserError('confirmation-needed', 'Removing outputs needs a confirmation, and there is no terminal to ask.', {
      hint: 'Add -y to remove without asking.',
    });
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await prompt.question(question)).trim().toLowerCase();
    return answer === 'y' || answer === 'yes';
  } finally {
    prompt.close();
  }
};

export const removeOutputs = async (graph: TaskGraph, options: RemoveOptions): Promise<number> => {
  const families = new Set(graph.nodes.map((node) => node.family));
  const named = [...options.remove, ...options.removeOnly];
  const unknown = named.filter((family) => !families.has(family));
  if (unknown.length > 0) {
    process.stdout.write(`${chalk.yellow('Not in the graph (nothing to remove):')} ${unknown.join(', ')}\n`);
  }
  const pick = (list: readonly string[]): number[] =>
    graph.nodes.filter((node) => list.includes(node.family)).map((node) => node.index);
  const selected = new Set<number>([...downstreamOf(graph, pick(options.remove)), ...pick(options.removeOnly)]);
  for (const index of [...selected]) if (options.keep.includes(graph.nodes[index]!.family)) selected.delete(index);

  const withOutputs = [...selected].filter((index) => {
    const task = graph.nodes[index]!.task;
    return typeof (task as { removeOutput?: unknown }).removeOutput === 'function' || outputsOf(task).length > 0;
  });
  if (withOutputs.length === 0) {
    process.stdout.write('Nothing to remove.\n');
    return EXIT.ok;
  }
  const byFamily = new Map<string, number[]>();
  for (const index of withOutputs) {
    const family = graph.nodes[index]!.family;
    byFamily.set(family, [...(byFamily.get(family) ?? []), index]);
  }
  process.stdout.write('Outputs to remove:\n');
  for (const [family, indices] of byFamily) process.stdout.write(`\t${family}: ${indices.length} task(s)\n`);
  if (options.keep.length > 0) process.stdout.write(`Keeping the outputs of ${options.keep.join(', ')}.\n`);
  if (!options.yes && !(await confirm('Remove these outputs? [y/N]: '))) {
    process.stdout.write('Nothing was removed.\n');
    return EXIT.ok;
  }
  let removed = 0;
  for (const [family, indices] of byFamily) {
    process.stdout.write(`${chalk.bold(family)}\n`);
    for (const index of indices) {
      const task = graph.nodes[index]!.task;
      const custom = (task as { removeOutput?: () => unknown }).removeOutput;
      process.stdout.write(`\tremoving output of ${task.toString()}\n`);
      if (typeof custom === 'function') await custom.call(task);
      else for (const target of outputsOf(task)) rmSync(target.path, { recursive: true, force: true });
      removed++;
    }
  }
  process.stdout.write(`Removed the outputs of ${removed} task(s).\n`);
  return EXIT.ok;
};
