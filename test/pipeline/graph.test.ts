import { beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildGraph, downstreamOf, topologicalOrder } from '../../src/pipeline/graph.js';
import { param } from '../../src/pipeline/params.js';
import { Task, type Requirements } from '../../src/pipeline/task.js';
import { All, freshPipelineDir, Leaf, Raw, Sum } from './fixtures.js';

beforeEach(async () => {
  await freshPipelineDir();
});

const touch = (file: string): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '');
};

describe('buildGraph', () => {
  it('makes one node per distinct task, with edges both ways', () => {
    const graph = buildGraph([new All()], { pruneComplete: true });
    // All -> Sum(2), Sum(1); Sum(2) -> Leaf 0, 1; Sum(1) -> Leaf 0 (shared)
    expect(graph.nodes.map((n) => n.family).sort()).toEqual(['All', 'Leaf', 'Leaf', 'Sum', 'Sum']);
    const leaf0 = graph.byId.get(new Leaf({ n: 0 }).taskId)!;
    expect(graph.nodes[leaf0]!.dependants).toHaveLength(2);
    const order = topologicalOrder(graph);
    expect(order.indexOf(leaf0)).toBeLessThan(order.indexOf(graph.roots[0]!));
  });

  it('does not expand complete tasks when pruning, and settles wrappers', () => {
    const sum = new Sum({ count: 2 });
    touch(sum.getOutputFileName('sum.txt'));
    const pruned = buildGraph([sum], { pruneComplete: true });
    expect(pruned.nodes).toHaveLength(1);
    expect(pruned.nodes[0]!.initial).toBe('complete');
    const full = buildGraph([sum], { pruneComplete: false });
    expect(full.nodes).toHaveLength(3);

    for (const n of [0, 1]) touch(new Leaf({ n }).getOutputFileName('leaf.txt'));
    touch(new Sum({ count: 1 }).getOutputFileName('sum.txt'));
    const wrapped = buildGraph([new All()], { pruneComplete: true });
    expect(wrapped.nodes[wrapped.roots[0]!]!.initial).toBe('complete');
  });

  it('marks missing external inputs', () => {
    class UsesRaw extends Task {
      override requires() {
        return new Raw({ runNumber: 1 });
      }
    }
    const graph = buildGraph([new UsesRaw()], { pruneComplete: true });
    expect(graph.nodes.find((n) => n.family === 'Raw')!.initial).toBe('missing-external');
  });

  it('reports a cycle with the full loop of tasks and their parameters', () => {
    class A extends Task.with({ k: param.int() }) {
      override requires(): Requirements {
        return this.k < 3 ? new A({ k: this.k + 1 }) : new A({ k: 0 });
      }
    }
    expect(() => buildGraph([new A({ k: 0 })], { pruneComplete: true })).toThrow(
      `cycle: ${[0, 1, 2, 3, 0].map((k) => `A(k=${k})`).join(' -> ')}.`,
    );
  });

  it('names requires() results that are not tasks', () => {
    class Bad extends Task {
      override requires() {
        return [Leaf] as unknown as Requirements;
      }
    }
    expect(() => buildGraph([new Bad()], { pruneComplete: true })).toThrow(/Bad\(\)\.requires\(\) returned the class or function Leaf \(did you forget "new"\?\)/);
  });

  it('refuses two tasks that write the same output', () => {
    class Twin extends Task.with({ k: param.int({ hidden: true }) }) {
      override *output() {
        yield this.addToOutput('same.txt');
      }
    }
    class Both extends Task {
      override requires() {
        return [new Twin({ k: 1 }), new Twin({ k: 2 })];
      }
    }
    expect(() => buildGraph([new Both()], { pruneComplete: true })).toThrow(/Two different tasks write the same output .*same\.txt: Twin\(k=1\) and Twin\(k=2\)/);
  });

  it('builds a chain of 100,000 tasks without recursion', () => {
    class Link extends Task.with({ i: param.int() }) {
      override requires(): Requirements {
        return this.i > 0 ? new Link({ i: this.i - 1 }) : [];
      }
      override *output() {
        yield this.addToOutput('link.txt');
      }
    }
    const graph = buildGraph([new Link({ i: 99_999 })], { pruneComplete: true });
    expect(graph.nodes).toHaveLength(100_000);
    expect(downstreamOf(graph, [graph.byId.get(new Link({ i: 0 }).taskId)!]).size).toBe(100_000);
  });
});
