import { beforeEach, describe, expect, it } from '@jest/globals';
import type { GraphNode, TaskGraph } from '../../src/pipeline/graph.js';
import { buildGraph } from '../../src/pipeline/graph.js';
import { Schedule } from '../../src/scheduler/schedule.js';
import { DynamicWaits } from '../../src/scheduler/dynamic-waits.js';
import { drive } from '../../src/scheduler/driver.js';
import type { RunEvent } from '../../src/scheduler/events.js';
import type { Executor, TaskJob, TaskOutcome, TaskRequest } from '../../src/executors/executor.js';
import type { RequestReply } from '../../src/pipeline/dynamic.js';
import { taskRef } from '../../src/pipeline/reconstruct.js';
import type { Task } from '../../src/pipeline/task.js';
import { freshPipelineDir, Leaf, Sum } from '../pipeline/fixtures.js';

/** A graph from an edge list: deps[i] = requirements of node i. */
const graphOf = (deps: number[][], initial: GraphNode['initial'][] = []): TaskGraph => {
  const nodes: GraphNode[] = deps.map((d, index) => ({ index, id: `T${index}`, task: {} as Task, family: 'T', deps: d, dependants: [], initial: initial[index] ?? 'incomplete', parent: -1 }));
  for (const node of nodes) for (const dep of node.deps) nodes[dep]!.dependants.push(node.index);
  return { nodes, byId: new Map(nodes.map((n) => [n.id, n.index])), roots: [nodes.length - 1] };
};

/** Adds node(s) to a hand-made graph as growGraph would: `deps` of each, and the requester's new edges. */
const addNodes = (graph: TaskGraph, requester: number, added: { deps: number[]; initial?: GraphNode['initial'] }[], requested: number[]): number[] => {
  const nodes = graph.nodes as GraphNode[];
  const indices = added.map(({ deps, initial }) => {
    const index = nodes.length;
    nodes.push({ index, id: `T${index}`, task: {} as Task, family: 'T', deps, dependants: [], initial: initial ?? 'incomplete', parent: -1 });
    for (const dep of deps) nodes[dep]!.dependants.push(index);
    return index;
  });
  for (const dep of requested) {
    nodes[requester]!.deps.push(dep);
    nodes[dep]!.dependants.push(requester);
  }
  return indices;
};

describe('Schedule, growing', () => {
  it('places new nodes against the current states: ready, waiting, complete, or not run', () => {
    const graph = graphOf([[], [], []]);
    const schedule = new Schedule(graph);
    expect(schedule.take(3)).toEqual([0, 1, 2]);
    schedule.succeeded(0);
    schedule.failed(1);
    // 3 needs 0 (done): ready; 4 needs 2 (running): waits; 5 complete; 6 needs 1 (failed): not run.
    const added = addNodes(graph, 2, [{ deps: [0] }, { deps: [2] }, { deps: [], initial: 'complete' }, { deps: [1] }], []);
    expect(schedule.grow(added)).toEqual([6]);
    expect(added.map((i) => schedule.status[i])).toEqual(['ready', 'waiting', 'complete', 'not-run']);
    expect(schedule.take(5)).toEqual([3]);
    expect(schedule.succeeded(2)).toEqual([4]);
    expect(schedule.count('not-run')).toBe(1);
  });

  it('a task that ended to wait for what it asked for starts again once that is done', () => {
    const graph = graphOf([[]]);
    const schedule = new Schedule(graph);
    expect(schedule.take(1)).toEqual([0]);
    const [a, b] = addNodes(graph, 0, [{ deps: [] }, { deps: [], initial: 'complete' }], [1, 2]);
    schedule.grow([a!, b!]);
    expect(schedule.awaitDependencies(0, [a!, b!])).toEqual([]);
    expect(schedule.status[0]).toBe('waiting');
    expect(schedule.take(5)).toEqual([a]);
    expect(schedule.succeeded(a!)).toEqual([0]);
    expect(schedule.take(5)).toEqual([0]);
  });

  it('a task waiting for a task that fails will not run, nor will its dependants; one waiting for done tasks is ready at once', () => {
    const graph = graphOf([[], [0]]);
    const schedule = new Schedule(graph);
    schedule.take(1);
    const [a] = addNodes(graph, 0, [{ deps: [] }], [2]);
    schedule.grow([a!]);
    schedule.awaitDependencies(0, [a!]);
    schedule.take(1);
    expect(schedule.failed(a!)).toEqual([0, 1]);

    const other = new Schedule(graphOf([[]]));
    other.take(1);
    expect(other.awaitDependencies(0, [])).toEqual([]);
    expect(other.status[0]).toBe('ready');
  });
});

describe('Schedule, what waiting tasks need first', () => {
  it('takes the tasks a waiting task needs, and what they wait for, before the others', () => {
    // 0, 1 ready; 3 needs 2 (ready). Prioritizing 3 makes 2 urgent too.
    const graph = graphOf([[], [], [], [2]]);
    const schedule = new Schedule(graph);
    schedule.prioritize([3]);
    expect(schedule.take(1, true)).toEqual([2]);
    expect(schedule.take(5, true)).toEqual([]);
    schedule.succeeded(2);
    expect(schedule.take(1)).toEqual([3]);
    expect(schedule.take(5)).toEqual([0, 1]);
  });

  it('a prioritized task that runs stays urgent when it is retried', () => {
    const schedule = new Schedule(graphOf([[], []]));
    expect(schedule.take(1)).toEqual([0]);
    schedule.prioritize([0]);
    schedule.retry(0);
    expect(schedule.take(1, true)).toEqual([0]);
  });
});

describe('DynamicWaits', () => {
  const statuses = (map: Record<number, string>) => (index: number) => (map[index] ?? 'waiting') as never;

  it('answers at once when the requested tasks are done or failed, else when the last is done or the first fails', () => {
    const waits = new DynamicWaits<string>();
    expect(waits.add({ requester: 9, answer: 'a' }, [1, 2], statuses({ 1: 'complete', 2: 'succeeded' }))).toEqual({ wait: { requester: 9, answer: 'a' }, ok: true });
    expect(waits.add({ requester: 9, answer: 'b' }, [1, 2], statuses({ 1: 'complete', 2: 'missing-external' }))).toMatchObject({ ok: false, failed: 2 });
    expect(waits.add({ requester: 9, answer: 'c' }, [1, 2, 3], statuses({ 1: 'complete' }))).toBeUndefined();
    expect(waits.add({ requester: 8, answer: 'd' }, [3, 4], statuses({}))).toBeUndefined();
    expect(waits.openFor(9)).toBe(1);
    expect(waits.settle(2, true)).toEqual([]);
    expect(waits.settle(3, true).map((r) => r.wait.answer)).toEqual(['c']);
    expect(waits.openFor(9)).toBe(0);
    expect(waits.settle(4, false)).toEqual([{ wait: { requester: 8, answer: 'd' }, ok: false, failed: 4 }]);
    expect(waits.settle(3, true)).toEqual([]);
  });

  it('forgets the waits of a task that ended, and drains all when the run stops', () => {
    const waits = new DynamicWaits<string>();
    waits.add({ requester: 1, answer: 'x' }, [5], statuses({}));
    waits.add({ requester: 2, answer: 'y' }, [5, 6], statuses({}));
    waits.drop(1);
    expect(waits.openFor(1)).toBe(0);
    expect(waits.drain().map((w) => w.answer)).toEqual(['y']);
    expect(waits.settle(5, true)).toEqual([]);
  });
});

/**
 * A local executor of `capacity` slots whose tasks are scripted: `requests`
 * says what a task asks for when it starts, and it finishes once answered.
 * Tasks named in `failing` fail.
 */
class ScriptedExecutor implements Executor {
  readonly name = 'scripted';
  onOutcome: (outcome: TaskOutcome) => void = () => {};
  onRequest?: (request: TaskRequest) => void;
  running = 0;
  maxRunning = 0;
  /** Started and not finished: working or waiting (a process each, locally). */
  alive = 0;
  maxAlive = 0;
  readonly started: string[] = [];
  readonly replies: { id: string; reply: RequestReply }[] = [];

  constructor(
    readonly capacity: number,
    private readonly requests: Map<string, Task[]>,
    private readonly failing = new Set<string>(),
  ) {}

  start(job: TaskJob): void {
    this.started.push(job.task.taskId);
    const working = (delta: number): void => {
      this.running += delta;
      this.maxRunning = Math.max(this.maxRunning, this.running);
    };
    working(1);
    this.maxAlive = Math.max(this.maxAlive, ++this.alive);
    const asks = this.requests.get(job.task.taskId);
    const finish = (ok: boolean): void => {
      working(-1);
      this.alive--;
      setImmediate(() => this.onOutcome(ok ? { index: job.index, ok: true } : { index: job.index, ok: false, reason: 'exit', message: 'failed' }));
    };
    if (!asks) {
      setImmediate(() => finish(!this.failing.has(job.task.taskId)));
      return;
    }
    setImmediate(() => {
      // While it waits for the answer it works no more: only its process stays.
      working(-1);
      this.onRequest!({
        index: job.index,
        tasks: asks.map(taskRef),
        answer: (reply) => {
          this.replies.push({ id: job.task.taskId, reply });
          working(1);
          setImmediate(() => finish(reply.ok));
        },
      });
    });
  }

  async cancelAll(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('drive with dynamic dependencies', () => {
  beforeEach(async () => {
    await freshPipelineDir();
  });

  const resolveFrom = (tasks: Task[]) => (_requester: Task, refs: readonly { id: string }[]) => refs.map((ref) => tasks.find((task) => task.taskId === ref.id)!);

  it('with one slot, a waiting task lends it to what it asked for, and gets it back before it goes on', async () => {
    const first = new Sum({ count: 1 });
    const second = new Sum({ count: 2 });
    const asked = [new Leaf({ n: 5 })];
    const graph = buildGraph([first, second], { pruneComplete: true });
    // Both wait for Leaf(5): once it is done, they go on one after the other, never together.
    const executor = new ScriptedExecutor(1, new Map([[first.taskId, asked], [second.taskId, asked]]));
    const events: RunEvent[] = [];
    const result = await drive(graph, executor, { retries: () => 0, emit: (event) => events.push(event), resolveRequested: resolveFrom(asked) });
    expect(result.failures).toEqual([]);
    expect(result.schedule.count('succeeded')).toBe(5);
    expect(executor.replies.map((r) => r.reply)).toEqual([{ ok: true }, { ok: true }]);
    expect(executor.maxRunning).toBe(1);
    const types = events.map((event) => event.type);
    expect(types.indexOf('task-waiting')).toBeLessThan(types.indexOf('task-resumed'));
    expect(events.find((event) => event.type === 'task-waiting')).toMatchObject({ restart: false, requested: [4], added: [4] });
  });

  it('waiting tasks do not pile up: past as many as slots, the slots go to what they wait for', async () => {
    // 40 tasks that each ask for one leaf, all ready at once, on 2 slots.
    const askers = Array.from({ length: 40 }, (_, count) => new Sum({ count: 100 + count }));
    const leaves = askers.map((_, n) => new Leaf({ n: 1000 + n }));
    const graph = buildGraph(askers, { pruneComplete: false });
    // Their static leaves: complete, so that only the askers are ready.
    for (const node of graph.nodes) if (node.family === 'Leaf') node.initial = 'complete';
    const executor = new ScriptedExecutor(2, new Map(askers.map((asker, i) => [asker.taskId, [leaves[i]!]])));
    const result = await drive(graph, executor, { retries: () => 0, emit: () => {}, resolveRequested: resolveFrom(leaves) });
    expect(result.failures).toEqual([]);
    expect(result.schedule.count('succeeded')).toBe(80);
    expect(executor.maxRunning).toBeLessThanOrEqual(2);
    expect(executor.maxAlive).toBeLessThanOrEqual(4);
  });

  it('a failed requested task fails the requester with a message naming both', async () => {
    const root = new Sum({ count: 1 });
    const asked = [new Leaf({ n: 5 })];
    const graph = buildGraph([root], { pruneComplete: true });
    const executor = new ScriptedExecutor(2, new Map([[root.taskId, asked]]), new Set([asked[0]!.taskId]));
    const result = await drive(graph, executor, { retries: () => 0, emit: () => {}, resolveRequested: resolveFrom(asked) });
    expect(executor.replies).toEqual([{ id: root.taskId, reply: { ok: false, message: 'Leaf(n=5, label="x"), which Sum(count=1) asked for, failed' } }]);
    expect(result.failures.map((f) => graph.nodes[f.index]!.family).sort()).toEqual(['Leaf', 'Sum']);
  });

  it('a batch restart is no failed attempt: retries=0 still lets the task start again', async () => {
    const root = new Sum({ count: 0 });
    const asked = new Leaf({ n: 5 });
    const graph = buildGraph([root], { pruneComplete: true });
    let rootStarts = 0;
    const executor: Executor = {
      name: 'batchlike',
      capacity: 4,
      onOutcome: () => {},
      start(job) {
        const first = job.task.taskId === root.taskId && ++rootStarts === 1;
        setImmediate(() => this.onOutcome(first ? { index: job.index, ok: false, reason: 'exit', message: 'asked', requested: [taskRef(asked)] } : { index: job.index, ok: true }));
      },
      async cancelAll() {},
      async close() {},
    };
    const events: RunEvent[] = [];
    const result = await drive(graph, executor, { retries: () => 0, emit: (event) => events.push(event), resolveRequested: resolveFrom([asked]) });
    expect(result.failures).toEqual([]);
    expect(rootStarts).toBe(2);
    expect(events.filter((e) => e.type === 'task-started').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 1, 2]);
    expect(events.find((event) => event.type === 'task-waiting')).toMatchObject({ restart: true });
  });

  it('a batch task that asks again and again for tasks already made is stopped, not retried', async () => {
    const root = new Sum({ count: 0 });
    const asked = new Leaf({ n: 5 });
    const graph = buildGraph([root], { pruneComplete: true });
    let rootStarts = 0;
    const executor: Executor = {
      name: 'batchlike',
      capacity: 4,
      onOutcome: () => {},
      start(job) {
        if (job.task.taskId === root.taskId) rootStarts++;
        setImmediate(() => this.onOutcome(job.task.taskId === root.taskId ? { index: job.index, ok: false, reason: 'exit', message: 'asked', requested: [taskRef(asked)] } : { index: job.index, ok: true }));
      },
      async cancelAll() {},
      async close() {},
    };
    const result = await drive(graph, executor, { retries: () => 5, emit: () => {}, resolveRequested: resolveFrom([asked]) });
    expect(rootStarts).toBe(3);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]!.message).toContain('asked 2 times for Leaf(n=5, label="x"), which this run has made already');
    expect(result.failures[0]!.ownError?.hint).toContain('A task without outputs is never complete');
  });
});
