import { beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildGraph, growGraph } from '../../src/pipeline/graph.js';
import { param } from '../../src/pipeline/params.js';
import { Task } from '../../src/pipeline/task.js';
import { driveGeneratorRun, isGeneratorResult, NeedsDependencies } from '../../src/pipeline/dynamic.js';
import { parseRequestedRecord } from '../../src/pipeline/dynamic-record.js';
import { requestedTaskResolver, regrowFromJournal } from '../../src/pipeline/dynamic-resolve.js';
import { taskRef } from '../../src/pipeline/reconstruct.js';
import { foldJournal } from '../../src/journal/state.js';
import type { JournalEntry } from '../../src/journal/journal.js';
import { runTask } from '../../src/executors/run-task.js';
import { freshPipelineDir, Leaf, Sum } from './fixtures.js';

beforeEach(async () => {
  await freshPipelineDir();
});

const touch = (file: string): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '');
};

class Requester extends Task.with({ name: param.string({ default: 'r' }) }) {
  override *output() {
    yield this.addToOutput('requester.txt');
  }
}

/** Requires the requester: asking for it from the requester closes a loop. */
class Back extends Task {
  override requires() {
    return new Requester();
  }
  override *output() {
    yield this.addToOutput('back.txt');
  }
}

/** Writes the same output as Leaf(n=0). */
class Clash extends Task {
  override *output() {
    yield { name: 'leaf.txt', path: new Leaf({ n: 0 }).getOutputFileName('leaf.txt') };
  }
}

describe('growGraph', () => {
  it('adds requested tasks as requirements of the requester, their own requirements expanded, deduplicated by id', () => {
    const graph = buildGraph([new Requester(), new Leaf({ n: 0 })], { pruneComplete: true });
    const requester = graph.byId.get(new Requester().taskId)!;
    const growth = growGraph(graph, requester, [new Sum({ count: 2 }), new Leaf({ n: 0 }), new Sum({ count: 2 })]);
    const sum = graph.byId.get(new Sum({ count: 2 }).taskId)!;
    const leaf0 = graph.byId.get(new Leaf({ n: 0 }).taskId)!;
    const leaf1 = graph.byId.get(new Leaf({ n: 1 }).taskId)!;
    expect(growth.requested).toEqual([sum, leaf0]);
    // Leaf(0) was there already: only Sum and Leaf(1) are new.
    expect([...growth.added].sort()).toEqual([sum, leaf1].sort());
    expect(graph.nodes[requester]!.deps).toEqual([sum, leaf0]);
    expect(graph.nodes[leaf0]!.dependants.sort()).toEqual([requester, sum].sort());
    expect(graph.nodes[sum]!.deps.sort()).toEqual([leaf0, leaf1].sort());
    // Asking again adds nothing.
    expect(growGraph(graph, requester, [new Sum({ count: 2 })])).toEqual({ requested: [sum], added: [] });
    expect(graph.nodes[requester]!.deps).toEqual([sum, leaf0]);
  });

  it('does not expand complete requested tasks, and marks them complete', () => {
    const graph = buildGraph([new Requester()], { pruneComplete: true });
    touch(new Sum({ count: 5 }).getOutputFileName('sum.txt'));
    const growth = growGraph(graph, 0, [new Sum({ count: 5 })]);
    expect(growth.added).toHaveLength(1);
    expect(graph.nodes[growth.added[0]!]!.initial).toBe('complete');
    expect(graph.nodes).toHaveLength(2);
  });

  it('refuses a request that closes a loop, naming it, and leaves the graph as it was', () => {
    const graph = buildGraph([new Requester()], { pruneComplete: true });
    expect(() => growGraph(graph, 0, [new Back()])).toThrow('Requester(name="r") asked at run time for a task that needs it: Requester(name="r") -> Back() -> Requester(name="r")');
    expect(graph.nodes).toHaveLength(1);
    expect(graph.byId.has(new Back().taskId)).toBe(false);
    expect(graph.nodes[0]!.deps).toEqual([]);
    expect(graph.nodes[0]!.dependants).toEqual([]);
    expect(() => growGraph(graph, 0, [new Requester()])).toThrow('Requester(name="r") -> Requester(name="r")');
    // The graph still grows afterwards.
    expect(growGraph(graph, 0, [new Leaf({ n: 3 })]).added).toHaveLength(1);
  });

  it('refuses a requested task whose output another task of the graph writes, and forgets it', () => {
    const graph = buildGraph([new Requester(), new Leaf({ n: 0 })], { pruneComplete: true });
    const before = graph.nodes.length;
    expect(() => growGraph(graph, 0, [new Clash()])).toThrow('Two different tasks write the same output');
    expect(graph.nodes).toHaveLength(before);
    const leaf0 = graph.byId.get(new Leaf({ n: 0 }).taskId)!;
    expect(graph.nodes[leaf0]!.dependants).toEqual([]);
    expect(growGraph(graph, 0, [new Leaf({ n: 0 })]).requested).toEqual([leaf0]);
  });
});

describe('re-creating requested tasks', () => {
  it('from exported classes; an unexported class or changed parameters are bad input', () => {
    const resolve = requestedTaskResolver({ Leaf, Requester });
    const requester = new Requester();
    const [leaf] = resolve(requester, [taskRef(new Leaf({ n: 4 }))]);
    expect(leaf?.taskId).toBe(new Leaf({ n: 4 }).taskId);
    expect(() => resolve(requester, [taskRef(new Sum())])).toThrow('asked while running for a Sum task, whose class the pipeline module does not export');
    expect(() => resolve(requester, [{ ...taskRef(new Leaf({ n: 4 })), id: 'Leaf_other' }])).toThrow('asked for Leaf_other');
  });

  it('gives a rerun graph the requests its journal recorded for tasks still to run', () => {
    const graph = buildGraph([new Requester()], { pruneComplete: true });
    const entries: JournalEntry[] = [
      { type: 'requested', id: new Requester().taskId, attempt: 1, tasks: [taskRef(new Leaf({ n: 1 })), taskRef(new Sum())], added: 5, restart: true },
      { type: 'requested', id: 'Gone_1', attempt: 1, tasks: [taskRef(new Leaf({ n: 9 }))], added: 1, restart: true },
    ];
    regrowFromJournal(graph, foldJournal(entries.map((entry, t) => ({ ...entry, t }))), requestedTaskResolver({ Leaf, Sum, Requester }));
    expect(graph.nodes[0]!.deps.map((dep) => graph.nodes[dep]!.family)).toEqual(['Leaf', 'Sum']);
    expect(graph.byId.has(new Leaf({ n: 9 }).taskId)).toBe(false);
  });
});

describe('the requested-tasks record of a batch job', () => {
  const record = (tasks: unknown, requester = 'R_1') => JSON.stringify({ requester, tasks });
  const entry = (task: Task) => ({ path: [taskRef(task)], bundle: '/b.mjs', file: '/p.ts' });

  it('gives the refs at the end of each path', () => {
    const parsed = parseRequestedRecord(record([entry(new Leaf({ n: 1 })), entry(new Sum())]), 'R_1');
    expect(parsed).toEqual({ tasks: [taskRef(new Leaf({ n: 1 })), taskRef(new Sum())] });
  });

  it.each([
    ['not JSON', '{', 'is not JSON'],
    ['for another task', record([{ path: [] }], 'Other_1'), 'is for task "Other_1", not R_1'],
    ['empty', record([]), 'names no tasks'],
    ['without a valid path', record([{ path: [{ id: 3 }] }]), 'has no valid path'],
  ])('says what is wrong with one %s', (_name, text, error) => {
    expect(parseRequestedRecord(text, 'R_1')).toEqual({ error: expect.stringContaining(error) });
  });
});

describe('folding requests into the run state', () => {
  const stamped = (entries: JournalEntry[]) => entries.map((entry, t) => ({ ...entry, t }));
  const leaf = taskRef(new Leaf({ n: 1 }));
  const sum = taskRef(new Sum());

  it('a task waits for what it asked for, until it resumes or starts again; restarts and additions are counted', () => {
    const base: JournalEntry[] = [
      { type: 'run-started', runId: 'r', pid: 1, host: 'h', pipeline: '/p.ts', roots: ['R_1'], mode: 'batch', tag: 't', total: 2, toRun: 2 },
      { type: 'started', id: 'R_1', attempt: 1, system: 'slurm' },
      { type: 'requested', id: 'R_1', attempt: 1, tasks: [leaf, sum], added: 4, restart: true },
    ];
    const waiting = foldJournal(stamped(base));
    expect(waiting.tasks.get('R_1')).toMatchObject({ phase: 'waiting', waitingFor: 2, requested: [leaf, sum], restarts: 1 });
    expect(waiting.addedToRun).toBe(4);

    const again = foldJournal(stamped([...base, { type: 'started', id: 'R_1', attempt: 2, system: 'slurm' }, { type: 'requested', id: 'R_1', attempt: 2, tasks: [leaf], added: 0, restart: true }]));
    expect(again.tasks.get('R_1')).toMatchObject({ phase: 'waiting', waitingFor: 1, requested: [leaf, sum], restarts: 2 });

    const resumed = foldJournal(stamped([...base.slice(0, 2), { type: 'requested', id: 'R_1', attempt: 1, tasks: [leaf], added: 1, restart: false }, { type: 'resumed', id: 'R_1', attempt: 1 }]));
    expect(resumed.tasks.get('R_1')).toMatchObject({ phase: 'running' });
    expect(resumed.tasks.get('R_1')?.waitingFor).toBeUndefined();
    expect(resumed.tasks.get('R_1')?.restarts).toBeUndefined();

    // A later runner's plan counts what the earlier ones took on.
    const rerun = foldJournal(stamped([...base, { ...(base[0] as Extract<JournalEntry, { type: 'run-started' }>), total: 6, toRun: 6 }]));
    expect(rerun.addedToRun).toBeUndefined();
  });
});

describe('generator run() and require()', () => {
  it('drives a generator: each yield evaluates to what was yielded, failures are thrown into it', async () => {
    const seen: unknown[] = [];
    function* run(): Generator<unknown, void, unknown> {
      seen.push(yield 'a');
      try {
        yield 'bad';
      } catch (error) {
        seen.push(`caught ${(error as Error).message}`);
      }
      seen.push(yield ['b', 'c']);
    }
    const generator = run();
    expect(isGeneratorResult(generator)).toBe(true);
    expect(isGeneratorResult([1, 2])).toBe(false);
    await driveGeneratorRun(generator, async (value) => {
      if (value === 'bad') throw new Error('no');
      return value;
    });
    expect(seen).toEqual(['a', 'caught no', ['b', 'c']]);
  });

  it('unwinds a generator at the end of a batch attempt, running its finally blocks', async () => {
    const seen: string[] = [];
    async function* run(): AsyncGenerator<unknown, void, unknown> {
      try {
        yield 'x';
        seen.push('after');
      } catch {
        seen.push('caught');
      } finally {
        seen.push('finally');
      }
    }
    await expect(driveGeneratorRun(run(), async () => Promise.reject(new NeedsDependencies()))).rejects.toThrow(NeedsDependencies);
    expect(seen).toEqual(['finally']);
  });

  it('require() outside run() is refused; inside, complete tasks return at once and the rest go to the handler', async () => {
    class Needs extends Task {
      override *output() {
        yield this.addToOutput('needs.txt');
      }
      async go(): Promise<unknown> {
        return this.require({ a: new Leaf({ n: 1 }), b: [new Leaf({ n: 2 }), new Leaf({ n: 1 })] });
      }
      override async run() {
        const got = await this.go();
        writeFileSync(this.getOutputFileName('needs.txt'), JSON.stringify(Object.keys(got as object)));
      }
    }
    const task = new Needs();
    await expect(task.go()).rejects.toThrow('Needs().require() was called outside its run()');
    touch(new Leaf({ n: 2 }).getOutputFileName('leaf.txt'));
    const asked: string[][] = [];
    await runTask(task, { requireTasks: async (tasks) => void asked.push(tasks.map((t) => t.taskId)) });
    expect(asked).toEqual([[new Leaf({ n: 1 }).taskId]]);
    await expect(new Needs().require(new Leaf({ n: 2 }))).rejects.toThrow('outside its run()');
  });

  it('require() given something that is not a task names it, with its own hint', async () => {
    class Odd extends Task {
      override *output() {
        yield this.addToOutput('odd.txt');
      }
      override async run() {
        await this.require([new Leaf({ n: 1 }), 42 as unknown as Task]);
      }
    }
    const failure = runTask(new Odd(), { requireTasks: async () => {} });
    await expect(failure).rejects.toThrow('Odd().require() was given 42, which is not a task.');
    await expect(failure).rejects.toMatchObject({ hint: 'require() takes a task, an array or a record of tasks.' });
  });

  it('a run() that swallows the end of its batch attempt commits no outputs', async () => {
    class Swallows extends Task {
      override *output() {
        yield this.addToOutput('swallowed.txt');
      }
      override async run() {
        try {
          await this.require(new Leaf({ n: 7 }));
        } catch {
          // carries on regardless
        }
        writeFileSync(this.getOutputFileName('swallowed.txt'), 'x');
      }
    }
    const task = new Swallows();
    const requested: string[] = [];
    await expect(
      runTask(task, {
        requireTasks: async (tasks) => {
          requested.push(...tasks.map((t) => t.taskId));
          throw new NeedsDependencies();
        },
        beforeCommit: () => {
          if (requested.length > 0) throw new NeedsDependencies();
        },
      }),
    ).rejects.toThrow(NeedsDependencies);
    expect(task.complete()).toBe(false);
  });
});
