/** `--dry-run` and `--show-output`: what a run would do, and what exists. */
import { existsSync } from 'node:fs';
import chalk from 'chalk';
import { neededNodes, type TaskGraph } from '../pipeline/graph.js';
import { outputsOf } from '../pipeline/task.js';

const byFamily = (graph: TaskGraph, indices: readonly number[]): Map<string, number[]> => {
  const groups = new Map<string, number[]>();
  for (const index of indices) {
    const family = graph.nodes[index]!.family;
    groups.set(family, [...(groups.get(family) ?? []), index]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
};

/**
 * Prints, per family, the tasks that would run, and those that are not
 * complete but would not run either (only complete tasks need them); returns
 * whether anything would run. `graph` is built with `pruneComplete: false`,
 * so that it agrees with --show-output about every output.
 */
export const dryRun = async (graph: TaskGraph): Promise<boolean> => {
  const needed = neededNodes(graph);
  const incomplete = graph.nodes.filter((node) => node.initial !== 'complete').map((node) => node.index);
  if (incomplete.length === 0) {
    process.stdout.write(chalk.green(`All ${graph.nodes.length} task(s) are complete: nothing would run.\n`));
    return false;
  }
  const wouldRun = incomplete.filter((index) => needed.has(index));
  const notNeeded = incomplete.filter((index) => !needed.has(index));
  for (const [family, indices] of byFamily(graph, wouldRun)) {
    process.stdout.write(`${chalk.bold(family)}\n`);
    for (const index of indices) {
      const node = graph.nodes[index]!;
      const verb = node.initial === 'missing-external' ? 'Missing input' : 'Would run';
      process.stdout.write(`\t${verb} ${node.task.toString()}\n`);
      const hook = (node.task as unknown as { dryRun?: () => unknown }).dryRun;
      if (typeof hook === 'function') {
        process.stdout.write('\tcall: dryRun()\n');
        await hook.call(node.task);
      }
    }
    process.stdout.write('\n');
  }
  for (const [family, indices] of byFamily(graph, notNeeded)) {
    process.stdout.write(`${chalk.bold(family)}\n`);
    for (const index of indices) {
      const node = graph.nodes[index]!;
      const what = node.initial === 'missing-external' ? 'Missing input' : 'Missing output';
      process.stdout.write(`\t${what}, not needed: ${node.task.toString()}\n`);
    }
    process.stdout.write('\n');
  }
  if (wouldRun.length > 0) process.stdout.write(`In total ${wouldRun.length} task(s) would run.\n`);
  if (notNeeded.length > 0) {
    process.stdout.write(
      `${wouldRun.length > 0 ? '' : 'Nothing would run, but '}${notNeeded.length} task(s) are not complete and are not made again: ` +
        'only complete tasks need them, and the requirements of a complete task are not run. ' +
        'Remove the outputs of the tasks that need them as well (--remove without --keep) to make them again.\n',
    );
  }
  return wouldRun.length > 0;
};

/** Every output of the graph, grouped by output name, green if it exists. */
export const showOutput = (graph: TaskGraph): void => {
  const byName = new Map<string, { path: string; exists: boolean }[]>();
  for (const node of graph.nodes) {
    for (const target of outputsOf(node.task)) {
      const list = byName.get(target.name) ?? [];
      list.push({ path: target.path, exists: node.initial === 'complete' || existsSync(target.path) });
      byName.set(target.name, list);
    }
  }
  let present = 0;
  let total = 0;
  for (const [name, files] of byName) {
    process.stdout.write(`${chalk.bold(name)}\n`);
    for (const file of files) {
      total++;
      if (file.exists) present++;
      process.stdout.write(`\t${file.exists ? chalk.green(`✓ ${file.path}`) : chalk.red(`✗ ${file.path}`)}\n`);
    }
    process.stdout.write('\n');
  }
  process.stdout.write(`${present} of ${total} output file(s) exist.\n`);
};
