import { compileTemplate, type CompiledTemplate, type RenderContext } from './template.js';
import type { JourneyStep } from '../inputs/journey.js';
import type { Location, Persona, RequestTemplate } from '../inputs/types.js';
import type { Redactor } from '../redact.js';
import type { OutgoingRequest } from './http.js';
import type { VisitValues } from './visit-values.js';

export interface BuiltRequest extends OutgoingRequest {
  /** Step name for per-step metrics (`request` for a single-request persona). */
  step: string;
  /** The URL as written to artifacts: secrets redacted. */
  displayUrl: string;
}

/** With `step`, builds that journey step's request, `{{vars.NAME}}` taken from `vars`, `{{setup.NAME}}` from `setup`; `visit` feeds `{{vu}}`, `{{visit}}` and the `$` functions. */
export type RequestBuilder = (persona: Persona, location: Location, iteration: number, step?: JourneyStep, vars?: Record<string, unknown>, setup?: Readonly<Record<string, unknown>>, visit?: VisitValues) => BuiltRequest;

/** A compiled template, and its request when the template reads nothing per visit (built on first use). */
interface Compiled {
  render: CompiledTemplate;
  constant: BuiltRequest | null;
}

/**
 * Builds the request of one work item from the persona's effective template (its own `request` merged
 * over the config's, persona headers included), compiled once per persona. A template without
 * placeholders is built once: every visit sends that same (frozen) request, with no rendering, URL
 * building or redaction per request.
 */
export function createRequestBuilder(baseUrl: string, defaultTemplate: RequestTemplate, redactor: Redactor): RequestBuilder {
  const compiled = new Map<string, Compiled>();
  const compiledSteps = new WeakMap<JourneyStep, Compiled>();
  const base = baseUrl.replace(/\/+$/, '');
  const build = (render: CompiledTemplate, ctx: RenderContext, step: JourneyStep | undefined): BuiltRequest => {
    const r = render(ctx);
    let url = r.url ?? `${base}${r.path?.startsWith('/') ? '' : '/'}${r.path ?? ''}`;
    if (r.query.length) {
      const search = new URLSearchParams(r.query).toString();
      url += (url.includes('?') ? '&' : '?') + search;
    }
    return { method: r.method, url, headers: r.headers, body: r.body, step: step?.name ?? 'request', displayUrl: redactor.url(url) };
  };
  return (persona, location, iteration, step, vars, setup, visit) => {
    let entry = step ? compiledSteps.get(step) : compiled.get(persona.name);
    if (!entry) {
      entry = { render: compileTemplate(step ? step.request : (persona.request ?? { ...defaultTemplate, headers: { ...defaultTemplate.headers, ...persona.headers } })), constant: null };
      if (step) compiledSteps.set(step, entry);
      else compiled.set(persona.name, entry);
    }
    if (entry.constant) return entry.constant;
    const ctx: RenderContext = { persona, location, iteration };
    if (vars) ctx.vars = vars;
    if (setup) ctx.setup = setup;
    if (visit) ctx.visit = visit;
    const built = build(entry.render, ctx, step);
    if (entry.render.constant) {
      Object.freeze(built.headers);
      entry.constant = Object.freeze(built);
    }
    return built;
  };
}
