/**
 * DOT to SVG in this process, with Graphviz compiled to WebAssembly: no
 * system binary. Loaded on first use only, so commands that draw nothing do
 * not pay for it.
 */
type Graphviz = { dot(source: string, format?: 'svg'): string };
type GraphvizModule = { Graphviz: { load(): Promise<unknown>; unload(): void } };

let loading: Promise<{ module: GraphvizModule; instance: Graphviz }> | undefined;

const graphviz = (): Promise<{ module: GraphvizModule; instance: Graphviz }> =>
  (loading ??= import('@hpcc-js/wasm-graphviz').then(async (module: GraphvizModule) => ({ module, instance: (await module.Graphviz.load()) as Graphviz })));

/**
 * The SVG element alone (no XML prolog or doctype), ready to put in a page.
 * The WebAssembly instance can be left broken by an earlier layout (it then
 * fails with "table index is out of bounds" on the next one): a fresh
 * instance draws the same graph, so one failure is retried on one.
 */
export const dotToSvg = async (dot: string): Promise<string> => {
  let svg: string;
  try {
    svg = (await graphviz()).instance.dot(dot, 'svg');
  } catch {
    const { module } = await graphviz();
    module.Graphviz.unload();
    loading = undefined;
    svg = (await graphviz()).instance.dot(dot, 'svg');
  }
  const start = svg.indexOf('<svg');
  return start === -1 ? svg : svg.slice(start);
};
