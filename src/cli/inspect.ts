/** `--dry-run` and `--show-output`: what a run would do, and what exists. */
import { existsSync } from 'node:fs';
import chalk from 'chalk';
import type { TaskGraph } from '../pipeline/graph.js';
import { outputsOf } from '../pipeline/task.js';

/** Prints, per family, the tasks that would run; returns whether there are any. */
export const dryRun = async (graph: TaskGraph): Promise<boolean> => {
  const byFamily = new Map<string, number[]>();
  for (const node of graph.nodes) {
    if (node.initial === 'complete') continue;
    const list = byFamily.get(node.family) ?? [];
    list.push(node.index);
    byFamily.set(node.family, list);
  }
  if (byFamily.size === 0) {
    process.stdout.write(chalk.green('All tasks are complete: nothing would run.\n'));
    return false;
  }
  let total = 0;
  for (const family of [...byFamily.keys()].sort()) {
    process.stdout.write(`${chalk.bold(family)}\n`);
    for (const index of byFamily.get(family)!) {
      const node = graph.nodes[index]!;
      const verb = node.initial === 'missing-external' ? 'Missing input' : 'Would run';
      process.stdout.write(`\t${verb} ${node.task.toString()}\n`);
      const hook = (node.task as unknown as { dryRun?: () => unknown }).dryRun;
      if (typeof hook === 'function') {
        process.stdout.write('\tcall: dryRun()\n');
        await hook.call(node.task);
      }
      total++;
    }
    process.stdout.write('\n');
  }
  process.stdout.write(`In total ${total} task(s) would run.\n`);
  return true;
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
