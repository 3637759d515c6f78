/** Vega-Lite spec → SVG, for every report that draws charts (PDF, HTML). Vega loads on first use. */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

interface VegaRuntime {
  parse: typeof import('vega').parse;
  View: typeof import('vega').View;
}

let engines: Promise<[VegaRuntime, typeof import('vega-lite')]> | null = null;

/**
 * Only the parts of Vega that a compiled Vega-Lite chart uses: the parser, the view and the data,
 * encoding and layout transforms. `import('vega')` also loads geo, force, hierarchy, regression,
 * voronoi, word-cloud and crossfilter transforms (a fifth of a report's start-up) that no troupe chart
 * uses. The packages are resolved from vega's own folder, so they are the copies vega itself would load.
 */
async function loadVegaRuntime(): Promise<VegaRuntime> {
  const fromVega = createRequire(createRequire(import.meta.url).resolve('vega'));
  const load = (name: string) => import(pathToFileURL(fromVega.resolve(name)).href);
  const [dataflow, transforms, viewTransforms, encode, parser, view] = await Promise.all(
    ['vega-dataflow', 'vega-transforms', 'vega-view-transforms', 'vega-encode', 'vega-parser', 'vega-view'].map(load),
  );
  Object.assign(dataflow.transforms, transforms, viewTransforms, encode);
  return { parse: parser.parse, View: view.View };
}

export async function specToSvg(spec: Record<string, unknown>): Promise<string> {
  engines ??= Promise.all([loadVegaRuntime(), import('vega-lite')]);
  const [vega, vegaLite] = await engines;
  // Vega-Lite's notes about merged sort orders are for chart authors, not for report readers.
  const quiet = { level: () => quiet, error: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet };
  const compiled = vegaLite.compile(spec as never, { logger: quiet as never }).spec;
  // logLevel 1 is vega.Error: warnings about the spec are for chart authors too.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: 1 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
