/**
 * DOT to SVG in this process, with Graphviz compiled to WebAssembly: no
 * system binary. Loaded on first use only, so commands that draw nothing do
 * not pay for it.
 */
type Graphviz = { dot(source: string, format?: 'svg'): string };

let loading: Promise<Graphviz> | undefined;

const graphviz = (): Promise<Graphviz> =>
  (loading ??= import('@hpcc-js/wasm-graphviz').then(({ Graphviz }) => Graphviz.load() as Promise<Graphviz>));

/** The SVG element alone (no XML prolog or doctype), ready to put in a page. */
export const dotToSvg = async (dot: string): Promise<string> => {
  const svg = (await graphviz()).dot(dot, 'svg');
  const start = svg.indexOf('<svg');
  return start === -1 ? svg : svg.slice(start);
};
