/**
 * `b2 graph pipeline.ts [Task --param v] --format dot|mermaid|svg|html`: the
 * task graph as a picture, task by task or family by family (automatically
 * for big graphs), coloured by what a run made of it when one is named.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { UserError } from '../../errors.js';
import { buildGraph, type TaskGraph } from '../../pipeline/graph.js';
import type { RunState } from '../../journal/state.js';
import { closest } from '../../util/closest.js';
import { EXIT, commonOptions } from '../options.js';
import { preparePipeline, settingFlags, type CommonFlags } from '../prepare.js';
import { loadRun, locateStateDir, pickRun, selectableRuns, selectPipeline } from './status.js';
import { phaseState, untouchedState, type NodeState } from '../../views/node-state.js';
import { chooseLevel, familyLevelOf, taskLevel, type GraphLevel, type ViewGraph } from '../../views/view-graph.js';
import { toDot } from '../../views/dot.js';
import { toMermaid } from '../../views/mermaid.js';
import { escapeHtml } from '../../views/json-script.js';

const FORMATS = ['dot', 'mermaid', 'svg', 'html'] as const;
type Format = (typeof FORMATS)[number];
const LEVELS: readonly GraphLevel[] = ['auto', 'task', 'family'];
/** Graphviz takes minutes beyond a few thousand nodes, and nobody reads such a picture. */
const LAYOUT_LIMIT = 5000;

interface GraphFlags extends CommonFlags {
  readonly format: string;
  readonly output?: string;
  readonly level: string;
  readonly run?: string | boolean;
  readonly stateDir?: string;
}

const oneOf = <T extends string>(what: string, value: string, allowed: readonly T[]): T => {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const suggestion = closest(value, allowed);
  throw new UserError('bad-option', `Unknown ${what} "${value}"${suggestion ? `; did you mean ${suggestion}?` : '.'}`, {
    hint: `${what} is one of: ${allowed.join(', ')}.`,
  });
};

export const registerGraphCommand = (program: Command): void => {
  const command = program
    .command('graph')
    .description('draw the task graph: DOT, Mermaid, SVG or an HTML page; coloured by state with --run')
    .argument('<pipeline>', 'pipeline file')
    .argument('[task]', "task class to draw (default: the module's default export)")
    .argument('[parameters...]', 'task parameters: --name value')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')}`, 'dot')
    .option('-o, --output <file>', 'write to this file (default: standard output)')
    .addOption(new Option('--level <level>', `task (one node per task), family (one per family, with counts) or auto (family above 200 tasks)`).default('auto'))
    .option('--run [run]', 'colour nodes by what this run of the pipeline made of them (default: its latest run)')
    .option('--state-dir <dir>', 'the runs folder, with --run (setting state_dir)')
    .option('--result-dir <dir>', 'setting result_dir')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (file: string, taskName: string | undefined, rest: string[], options: GraphFlags) => {
      process.exitCode = await graphCommand(file, taskName, rest, options, command);
    });
  commonOptions(command);
};

const graphCommand = async (file: string, taskName: string | undefined, rest: string[], options: GraphFlags, command: Command): Promise<number> => {
  const format = oneOf<Format>('format', options.format, FORMATS);
  const level = oneOf<GraphLevel>('level', options.level, LEVELS);
  if (taskName?.startsWith('-')) {
    rest = [taskName, ...rest];
    taskName = undefined;
  }
  const own = { name: 'b2 graph', options: [...command.options.flatMap((option) => (option.long ? [option.long.slice(2)] : [])), 'help'] };
  const { roots } = await preparePipeline(file, taskName, rest, settingFlags(options), {}, own);
  const run = options.run === undefined || options.run === false ? undefined : await findRun(file, options);
  const graph = buildGraph(roots, { pruneComplete: false });
  const stateOf = nodeStates(graph, run?.state);
  const view = chooseLevel(level, graph.nodes.length) === 'family' ? familyLevelOf(graph, stateOf) : taskLevel(graph, stateOf);
  if ((format === 'svg' || format === 'html') && view.nodes.length > LAYOUT_LIMIT) {
    throw new UserError('graph-too-large', `${view.nodes.length} nodes are too many to lay out as a picture (at most ${LAYOUT_LIMIT}).`, {
      hint: '--level family draws one node per family; --format dot or mermaid writes the whole graph as text.',
    });
  }
  const title = run ? `${path.basename(file)} · run ${run.id}` : path.basename(file);
  const text = await render(view, format, title);
  if (options.output) {
    writeFileSync(options.output, text);
    process.stderr.write(`wrote ${view.level}-level graph (${view.nodes.length} nodes) to ${options.output}\n`);
  } else process.stdout.write(text);
  return EXIT.ok;
};

const findRun = async (file: string, options: GraphFlags): Promise<{ id: string; state: RunState }> => {
  const selection = selectPipeline(file);
  const stateDir = await locateStateDir({ ...options, pipeline: file }, selection);
  const id = pickRun(stateDir, typeof options.run === 'string' ? options.run : undefined, selectableRuns(stateDir, selection));
  return { id, state: loadRun(stateDir, id) };
};

/** A task the run worked on shows what became of it; the others how the graph finds them now. */
const nodeStates = (graph: TaskGraph, state: RunState | undefined): ((index: number) => NodeState) => {
  const runOver = state?.finished !== undefined;
  return (index) => {
    const node = graph.nodes[index]!;
    const task = state?.tasks.get(node.id);
    return task ? phaseState(task.phase) : untouchedState(node.initial, runOver);
  };
};

const render = async (view: ViewGraph, format: Format, title: string): Promise<string> => {
  if (format === 'dot') return toDot(view, title);
  if (format === 'mermaid') return toMermaid(view);
  const { dotToSvg } = await import('../../views/svg.js');
  const svg = await dotToSvg(toDot(view, title));
  if (format === 'svg') return `${svg.trimEnd()}\n`;
  return graphPage(svg, title);
};

const graphPage = (svg: string, title: string): string =>
  [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{margin:16px;font:13px system-ui,sans-serif;color:#1d232b}svg{max-width:100%;height:auto}</style>',
    '</head><body>',
    `<h1 style="font-size:15px">${escapeHtml(title)}</h1>`,
    svg.trimEnd(),
    '</body></html>',
    '',
  ].join('\n');
