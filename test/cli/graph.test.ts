/** `b2 graph` end to end: every format read back by its reader, levels, run colours, hostile labels and bad input. */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { averagePipeline, leavesPipeline, makeProject, runB2, STACK_LINE } from '../helpers/b2.js';
import { withCanary } from '../helpers/hostile-values.js';
import { dotToSvg } from '../../src/views/svg.js';

const nodeCount = (svg: string): number => (svg.match(/<g id="node\d+" class="node/g) ?? []).length;
const edgeCount = (svg: string): number => (svg.match(/<g id="edge\d+" class="edge/g) ?? []).length;

describe('b2 graph', () => {
  const dir = makeProject({ 'pipeline.ts': averagePipeline({ failOn: 3 }) });

  it('writes DOT that Graphviz lays out: one node per task, one edge per requirement', async () => {
    const result = runB2(['graph', 'pipeline.ts'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^digraph "pipeline.ts" \{/);
    const svg = await dotToSvg(result.stdout);
    expect(nodeCount(svg)).toBe(11);
    expect(edgeCount(svg)).toBe(10);
    expect(svg).toContain('MyNumberTask(some_parameter=3)');
  });

  it('writes a Mermaid flowchart', () => {
    const result = runB2(['graph', 'pipeline.ts', '--format', 'mermaid'], { cwd: dir });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines.filter((line) => /^ {2}n\d+\["[^"]*"\]:::[a-z_]+$/.test(line))).toHaveLength(11);
    expect(lines.filter((line) => /^ {2}n\d+ --> n\d+$/.test(line))).toHaveLength(10);
    expect(lines.filter((line) => line.startsWith('  classDef pending '))).toHaveLength(1);
  });

  it('writes SVG and an HTML page holding it to -o', () => {
    expect(runB2(['graph', 'pipeline.ts', '-f', 'svg', '-o', 'g.svg'], { cwd: dir }).code).toBe(0);
    const svg = readFileSync(path.join(dir, 'g.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(nodeCount(svg)).toBe(11);
    const html = runB2(['graph', 'pipeline.ts', '-f', 'html', '-o', 'g.html'], { cwd: dir });
    expect(html.code).toBe(0);
    expect(html.stderr).toContain('wrote task-level graph (11 nodes) to g.html');
    const page = readFileSync(path.join(dir, 'g.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(nodeCount(page)).toBe(11);
  });

  it('draws families: on request, and by itself above 200 tasks', async () => {
    const family = runB2(['graph', 'pipeline.ts', '--level', 'family', '-f', 'mermaid'], { cwd: dir });
    expect(family.stdout).toContain('n0["MyAverageTask<br/>1 task: all pending"]:::pending');
    expect(family.stdout).toContain('n1["MyNumberTask<br/>10 tasks: all pending"]:::pending');
    expect(family.stdout).toContain('n1 --> n0');
    const big = makeProject({ 'pipeline.ts': leavesPipeline(250, { family: 'Leaf', param: 'k', file: 'leaf.txt' }) });
    const auto = runB2(['graph', 'pipeline.ts'], { cwd: big });
    const svg = await dotToSvg(auto.stdout);
    expect(nodeCount(svg)).toBe(2);
    expect(auto.stdout).toContain('Leaf\\n250 tasks: all pending');
    const small = runB2(['graph', 'pipeline.ts', '--level', 'task', '-f', 'mermaid'], { cwd: big });
    expect(small.stdout.split('\n').filter((line) => line.includes('["Leaf#40;'))).toHaveLength(250);
  });

  it('colours nodes by what the latest run made of them with --run', () => {
    const project = makeProject({ 'pipeline.ts': averagePipeline({ failOn: 3 }) });
    expect(runB2(['run', 'pipeline.ts', '-w', '2'], { cwd: project }).code).toBe(1);
    const result = runB2(['graph', 'pipeline.ts', '--run', '-f', 'mermaid'], { cwd: project });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('n0["MyAverageTask#40;#41;"]:::not_run');
    expect(result.stdout).toMatch(/\["MyNumberTask#40;some_parameter=3#41;"\]:::failed/);
    expect(result.stdout.match(/:::succeeded/g)).toHaveLength(9);
    const family = runB2(['graph', 'pipeline.ts', '--run', 'latest', '--level', 'family'], { cwd: project });
    expect(family.stdout).toContain('MyNumberTask\\n10 tasks: 9 succeeded, 1 failed');
    expect(family.stdout).toContain('fillcolor="#e53935"');
  });

  it('shows hostile parameter values as written in every format, and runs none of them', async () => {
    const project = makeProject({});
    const canary = path.join(project, 'canary');
    const values = withCanary(canary, 120);
    const pipeline = `
      import { Task, param } from 'b2';
      export class Hostile extends Task.with({ n: param.int(), value: param.string({ hidden: true }) }) {
        *output() { yield this.addToOutput('out.txt'); }
        run() {}
      }
      export default ${JSON.stringify(values)}.map((value, n) => new Hostile({ n, value }));`;
    writeFileSync(path.join(project, 'pipeline.ts'), pipeline);
    for (const format of ['dot', 'mermaid', 'svg', 'html']) {
      const result = runB2(['graph', 'pipeline.ts', '-f', format, '--level', 'task', '-o', `g.${format}`], { cwd: project });
      expect({ format, code: result.code, stderr: result.stderr }).toEqual({ format, code: 0, stderr: `wrote task-level graph (120 nodes) to g.${format}\n` });
    }
    const svg = await dotToSvg(readFileSync(path.join(project, 'g.dot'), 'utf8'));
    expect(nodeCount(svg)).toBe(120);
    expect(nodeCount(readFileSync(path.join(project, 'g.svg'), 'utf8'))).toBe(120);
    const html = readFileSync(path.join(project, 'g.html'), 'utf8');
    // Nothing from the values became markup: one svg, no script, no event handler attributes.
    expect(html.match(/<svg/g)).toHaveLength(1);
    expect(html).not.toMatch(/<script|\son[a-z]+=/i);
    const mermaid = readFileSync(path.join(project, 'g.mermaid'), 'utf8').trimEnd().split('\n');
    expect(mermaid.filter((line) => /^ {2}n\d+\["[^"]*"\]:::pending$/.test(line))).toHaveLength(120);
    expect(existsSync(canary)).toBe(false);
  });

  it('refuses an unknown format, level or run with one message and exit code 2', () => {
    const format = runB2(['graph', 'pipeline.ts', '--format', 'png'], { cwd: dir });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('error: Unknown format "png"');
    expect(format.stderr).toContain('format is one of: dot, mermaid, svg, html.');
    expect(format.output).not.toMatch(STACK_LINE);
    const typo = runB2(['graph', 'pipeline.ts', '--format', 'mermiad'], { cwd: dir });
    expect(typo.stderr).toContain('did you mean mermaid?');
    expect(runB2(['graph', 'pipeline.ts', '--level', 'tasks'], { cwd: dir }).code).toBe(2);
    const noRuns = runB2(['graph', 'pipeline.ts', '--run'], { cwd: dir });
    expect(noRuns.code).toBe(2);
    expect(noRuns.stderr).toMatch(/error: No run of .*pipeline\.ts/);
    const project = makeProject({ 'pipeline.ts': averagePipeline() });
    expect(runB2(['run', 'pipeline.ts'], { cwd: project }).code).toBe(0);
    const unknown = runB2(['graph', 'pipeline.ts', '--run', 'nope'], { cwd: project });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: No run "nope"');
    expect(unknown.output).not.toMatch(STACK_LINE);
    const huge = makeProject({ 'pipeline.ts': leavesPipeline(5001, { family: 'Leaf', param: 'k', file: 'leaf.txt' }) });
    const tooMany = runB2(['graph', 'pipeline.ts', '--level', 'task', '-f', 'svg'], { cwd: huge });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('5002 nodes are too many to lay out as a picture (at most 5000).');
    const missing = runB2(['graph', 'missing.ts'], { cwd: dir });
    expect(missing.code).toBe(2);
  });
});
