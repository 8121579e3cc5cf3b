/**
 * Labels and data from the hostile-values corpus through every format the
 * views write: each reader (Graphviz, Mermaid's label syntax, the HTML
 * parser of a <script> element) must give back the value as written.
 */
import { describe, expect, it } from '@jest/globals';
import { hostileValues } from '../helpers/hostile-values.js';
import { dotString, toDot } from '../../src/views/dot.js';
import { mermaidLabel, toMermaid } from '../../src/views/mermaid.js';
import { escapeHtml, jsonForScript } from '../../src/views/json-script.js';
import { dotToSvg } from '../../src/views/svg.js';
import type { ViewGraph } from '../../src/views/view-graph.js';

const VALUES = hostileValues(1500);

const unescapeXml = (text: string): string =>
  text.replace(/&#(x?)([0-9a-fA-F]+);|&(lt|gt|amp|quot|apos);/g, (_, hex: string, code: string, name: string) =>
    name ? ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name]! : String.fromCodePoint(parseInt(code, hex ? 16 : 10)),
  );

/** What Graphviz should show: our label's lines, control characters as blanks. */
const shownLines = (value: string): string[] =>
  value
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ')
    .split('\n');

/** The text lines of each node n<i> in Graphviz's SVG. */
const nodeTexts = (svg: string): Map<string, string[]> => {
  const texts = new Map<string, string[]>();
  for (const match of svg.matchAll(/<g id="node\d+" class="node[^"]*">\s*<title>(n\d+)<\/title>([\s\S]*?)<\/g>/g)) {
    texts.set(match[1]!, [...match[2]!.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)].map((m) => unescapeXml(m[1]!)));
  }
  return texts;
};

const graphOf = (labels: readonly string[]): ViewGraph => ({ level: 'task', nodes: labels.map((label) => ({ label, state: 'failed' })), edges: [] });

describe('DOT labels', () => {
  it('quote and backslash are escaped, Graphviz escapes lose their meaning, lines break as \\n', () => {
    expect(dotString('a"b\\N\\G')).toBe('"a\\"b\\\\N\\\\G"');
    expect(dotString('x\\')).toBe('"x\\\\"');
    expect(dotString('one\r\ntwo\nthree')).toBe('"one\\ntwo\\nthree"');
  });

  it('Graphviz reads every hostile value back as written', async () => {
    for (let start = 0; start < VALUES.length; start += 250) {
      const batch = VALUES.slice(start, start + 250);
      const svg = await dotToSvg(toDot(graphOf(batch), 'corpus'));
      const texts = nodeTexts(svg);
      batch.forEach((value, i) => {
        const expected = shownLines(value);
        const got = texts.get(`n${i}`);
        // Graphviz draws no <text> for a blank line or an all-blank label, and writes runs of blanks as no-break spaces.
        const significant = (lines: readonly string[]): string[] => lines.filter((line) => line.trim() !== '').map((line) => line.replace(/\u00a0/g, ' '));
        expect({ value, lines: significant(got ?? []) }).toEqual({ value, lines: significant(expected) });
      });
    }
  });
});

describe('Mermaid labels', () => {
  const decode = (label: string): string =>
    label
      .slice(1, -1)
      .split('<br/>')
      .map((line) => line.replace(/#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code))))
      .join('\n');

  it('hold no character Mermaid reads as syntax, and decode to the value', () => {
    for (const value of VALUES) {
      const label = mermaidLabel(value);
      expect(label).toMatch(/^"[^"]*"$/);
      const body = label.slice(1, -1).split('<br/>').join('').replace(/#\d+;/g, '');
      expect({ value, body }).toEqual({ value, body: body.replace(/[^A-Za-z0-9 _.,:=+\-/]/g, '') });
      expect(decode(label)).toBe(value.replace(/\r\n?/g, '\n'));
    }
  });

  it('a flowchart: one node line per node with its state class, one arrow per edge, a classDef per state used', () => {
    const text = toMermaid({
      level: 'family',
      nodes: [
        { label: 'A\n3 tasks', state: 'succeeded' },
        { label: 'B', state: 'not-run' },
      ],
      edges: [[0, 1]],
    });
    expect(text.trimEnd().split('\n')).toEqual([
      'flowchart LR',
      '  n0["A<br/>3 tasks"]:::succeeded',
      '  n1["B"]:::not_run',
      '  n0 --> n1',
      '  classDef succeeded fill:#43a047,color:#ffffff,stroke:#546e7a',
      '  classDef not_run fill:#e0e0e0,color:#424242,stroke:#546e7a',
    ]);
  });
});

describe('data in a <script> element', () => {
  it('never ends the element or opens a comment, and parses back to the same value', () => {
    const data = { values: [...VALUES, '</script><script>alert(1)</script>', '<!--', '\u2028\u2029', '</SCRIPT >'] };
    const text = jsonForScript(data);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(data);
  });

  it('HTML text and attributes escape all five specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
