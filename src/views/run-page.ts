/** The page data of one run, as `b2 report` and `b2 status --serve` show it: model, log tails and family graph. */
import { runnerLiveness } from '../journal/liveness.js';
import type { RunState, TaskState } from '../journal/state.js';
import { jobFilesIn, type RunDir } from '../run/layout.js';
import { lastLines } from '../util/tail.js';
import { toDot } from './dot.js';
import { pageModel, type PageData } from './page-model.js';
import { readFamilyGraph, runFamilyGraph } from './run-graph.js';
import { dotToSvg } from './svg.js';

export const TAIL_LINES = 20;
export const TAIL_LINE_CHARS = 400;

/** The last lines of a task's stderr, each cut to a readable length: a log tail never bloats the page. */
export const stderrTail = (task: TaskState): string[] =>
  task.logDir ? lastLines(jobFilesIn(task.logDir).stderr, TAIL_LINES).map((line) => (line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line)) : [];

export const runPageData = async (run: RunDir, state: RunState, now = Date.now()): Promise<PageData> => {
  const liveness = runnerLiveness(state);
  const data = pageModel({ runId: run.runId, state, liveness, now, tailOf: stderrTail });
  const graph = runFamilyGraph(readFamilyGraph(run), state, liveness.kind !== 'alive');
  if (graph.nodes.length > 0) data.graphSvg = await dotToSvg(toDot(graph, run.runId));
  return data;
};
