/**
 * A view graph as Graphviz DOT. Node ids are our own (n0, n1, ...); every
 * label is a double-quoted DOT string, escaped so that Graphviz shows it as
 * written: its escapes (\N, \G, \l, \\) and quotes lose their meaning.
 */
import { NODE_COLOURS } from './node-state.js';
import type { ViewGraph } from './view-graph.js';

// Control characters other than line breaks have no place in a label; Graphviz would reject some.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/g;

/** A DOT double-quoted string showing `text` literally, its line breaks as centred line breaks. */
export const dotString = (text: string): string =>
  `"${text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')}"`;

export const toDot = (graph: ViewGraph, title = 'b2'): string => {
  const lines = [
    `digraph ${dotString(title)} {`,
    '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.25, ranksep=0.5];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, penwidth=0.8];',
    '  edge [color="#78909c", arrowsize=0.6];',
  ];
  graph.nodes.forEach((node, index) => {
    const colour = NODE_COLOURS[node.state];
    lines.push(`  n${index} [label=${dotString(node.label)}, tooltip=${dotString(`${node.label}\n${node.state}`)}, fillcolor="${colour.fill}", fontcolor="${colour.font}", class="state-${node.state}"];`);
  });
  for (const [from, to] of graph.edges) lines.push(`  n${from} -> n${to};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
};
