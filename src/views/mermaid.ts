/**
 * A view graph as a Mermaid flowchart. Labels are quoted, and every
 * character that Mermaid (or the HTML it renders to) could read as syntax is
 * written as a numeric entity code (#34; for "), which Mermaid shows as the
 * character itself.
 */
import { NODE_COLOURS, type NodeState } from './node-state.js';
import type { ViewGraph } from './view-graph.js';

const PLAIN = /[A-Za-z0-9 _.,:=+\-/]/;

const encodeLine = (line: string): string => Array.from(line, (char) => (PLAIN.test(char) ? char : `#${char.codePointAt(0)};`)).join('');

export const mermaidLabel = (text: string): string => `"${text.replace(/\r\n?/g, '\n').split('\n').map(encodeLine).join('<br/>')}"`;

/** Mermaid class names: letters and underscores. */
const className = (state: NodeState): string => state.replace(/-/g, '_');

export const toMermaid = (graph: ViewGraph): string => {
  const lines = ['flowchart LR'];
  graph.nodes.forEach((node, index) => lines.push(`  n${index}[${mermaidLabel(node.label)}]:::${className(node.state)}`));
  for (const [from, to] of graph.edges) lines.push(`  n${from} --> n${to}`);
  const used = new Set(graph.nodes.map((node) => node.state));
  for (const state of used) {
    const colour = NODE_COLOURS[state];
    lines.push(`  classDef ${className(state)} fill:${colour.fill},color:${colour.font},stroke:#546e7a`);
  }
  return `${lines.join('\n')}\n`;
};
