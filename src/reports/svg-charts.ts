/** Vega-Lite spec → SVG, for every report that draws charts (PDF, HTML). Vega loads on first use. */

let engines: Promise<[typeof import('vega'), typeof import('vega-lite')]> | null = null;

export async function specToSvg(spec: Record<string, unknown>): Promise<string> {
  engines ??= Promise.all([import('vega'), import('vega-lite')]);
  const [vega, vegaLite] = await engines;
  // Vega-Lite's notes about merged sort orders are for chart authors, not for report readers.
  const quiet = { level: () => quiet, error: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet };
  const compiled = vegaLite.compile(spec as never, { logger: quiet as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
