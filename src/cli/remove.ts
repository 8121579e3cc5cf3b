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
import { closest } from '../util/closest.js';
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

/** A name that is no family of the graph is a typo: removing or keeping nothing would hide it. */
const checkFamiliesKnown = (graph: TaskGraph, options: RemoveOptions): void => {
  const families = [...new Set(graph.nodes.map((node) => node.family))].sort();
  for (const [flag, names] of [['--remove', options.remove], ['--remove-only', options.removeOnly], ['--keep', options.keep]] as const) {
    const unknown = names.find((family) => !families.includes(family));
    if (unknown === undefined) continue;
    const suggestion = closest(unknown, families);
    throw new UserError('unknown-family', `${flag} ${unknown}: ${unknown} is not a task family of this graph.`, {
      hint: `${suggestion ? `Did you mean ${suggestion}? ` : ''}The families of this graph are: ${families.join(', ')}.`,
    });
  }
};

export const removeOutputs = async (graph: TaskGraph, options: RemoveOptions): Promise<number> => {
  checkFamiliesKnown(graph, options);
  const pick = (list: readonly string[]): number[] =>
    graph.nodes.filter((node) => list.includes(node.family)).map((node) => node.index);
  const selected = new Set<number>([...downstreamOf(graph, pick(options.remove)), ...pick(options.removeOnly)]);
  const keptFamilies = new Set<string>();
  for (const index of [...selected]) {
    const family = graph.nodes[index]!.family;
    if (options.keep.includes(family)) {
      selected.delete(index);
      keptFamilies.add(family);
    }
  }

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
  if (keptFamilies.size > 0) {
    // A complete task's requirements are never run: what it needs stays missing until it is removed too.
    const kept = [...keptFamilies].join(', ');
    process.stdout.write(
      `Keeping the outputs of ${kept}. The outputs removed below them are not made again while ${kept} ${keptFamilies.size === 1 ? 'is' : 'are'} complete.\n`,
    );
  }
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
