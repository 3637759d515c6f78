import { compileTemplate, type CompiledTemplate } from './template.js';
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

/**
 * Builds the request of one work item from the persona's effective template (its own `request` merged
 * over the config's, persona headers included), compiled once per persona.
 */
export function createRequestBuilder(baseUrl: string, defaultTemplate: RequestTemplate, redactor: Redactor): RequestBuilder {
  const compiled = new Map<string, CompiledTemplate>();
  const compiledSteps = new WeakMap<JourneyStep, CompiledTemplate>();
  const base = baseUrl.replace(/\/+$/, '');
  return (persona, location, iteration, step, vars, setup, visit) => {
    let render = step ? compiledSteps.get(step) : compiled.get(persona.name);
    if (!render) {
      render = compileTemplate(step ? step.request : (persona.request ?? { ...defaultTemplate, headers: { ...defaultTemplate.headers, ...persona.headers } }));
      if (step) compiledSteps.set(step, render);
      else compiled.set(persona.name, render);
    }
    const r = render({ persona, location, iteration, ...(vars ? { vars } : {}), ...(setup ? { setup } : {}), ...(visit ? { visit } : {}) });
    let url = r.url ?? `${base}${r.path?.startsWith('/') ? '' : '/'}${r.path ?? ''}`;
    if (r.query.length) {
      const search = new URLSearchParams(r.query).toString();
      url += (url.includes('?') ? '&' : '?') + search;
    }
    return { method: r.method, url, headers: r.headers, body: r.body, step: step?.name ?? 'request', displayUrl: redactor.url(url) };
  };
}
