import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { configFileSchema } from '../src/inputs/config.js';
import { configJsonSchema, personaJsonSchema } from '../src/inputs/json-schema.js';
import { schemaValidator } from './helpers/json-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const yamlAt = (rel: string) => parse(readFileSync(join(ROOT, rel), 'utf8')) as unknown;

describe('troupe schema: JSON Schema generated from the zod schemas', () => {
  const validConfig = schemaValidator(configJsonSchema());
  const validPersona = schemaValidator(personaJsonSchema());

  it('is draft 2020-12 with an $id, a title and described keys', () => {
    const schema = configJsonSchema();
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.match(String(schema.$id), /^urn:troupe:/);
    assert.equal(schema.title, 'troupe config');
    assert.equal(schema.additionalProperties, false);
    assert.match(String(schema.properties!.thresholds!.description), /p95 < 500ms/);
    // A transform's input shape comes from its hint, not {} (anything).
    assert.match(JSON.stringify(schema.properties!.timeouts), /500ms/);
  });

  it('accepts the shipped config, the CI example and the shipped personas', () => {
    assert.equal(validConfig(yamlAt('troupe.config.yaml')), null);
    assert.equal(validConfig(yamlAt('examples/ci/troupe.ci.yaml')), null);
    for (const file of readdirSync(join(ROOT, 'personas'))) assert.equal(validPersona(yamlAt(`personas/${file}`)), null, file);
  });

  it('accepts every documented input form: durations, ranges, sizes, percentages, checks, captures', () => {
    const config = {
      timeouts: { connect: '10s', total: '3m' },
      maxResponseBytes: '10mb',
      demo: { missLatency: '40ms', ttl: '300s' },
      load: { phases: [{ duration: '30s', rate: 5, rampTo: 50 }], arrival: 'poisson' },
      compare: { maxRegression: '10%', tolerances: { p99: '25%' }, minLatencyDelta: '1ms' },
      retries: { attempts: 3, backoff: '200ms', on: [429, 'conn_reset'] },
      abortOn: 'error_rate > 50% over 10s',
      journey: [
        {
          name: 'a',
          think: '20ms-50ms',
          request: { method: 'GET', path: '/x' },
          expect: [{ status: [200, 304] }, { json: 'a.b', minCount: 1 }, { contains: 'x' }, { latency: '2s' }],
          capture: { t: { json: 'token' }, h: { header: 'X-Cache' }, r: { regex: 'id=(\\d+)', group: 1 } },
        },
      ],
    };
    assert.equal(validConfig(config), null);
    // The same forms load: the schema is no stricter than the loader.
    assert.equal(configFileSchema.safeParse(config).error, undefined);
    assert.equal(validPersona([{ name: 'p', thinkTime: '1s', locations: { tag: 'urban' } }, { name: 'q', locations: ['a', 1] }]), null);
    assert.equal(validPersona({ personas: [{ name: 'p' }] }), null);
  });

  it('rejects an unknown key, a wrong type, a bad target and a malformed duration or check', () => {
    assert.match(validConfig({ targett: 'demo' }) ?? '', /additional properties/);
    assert.match(validConfig({ concurrency: 'five' }) ?? '', /concurrency/);
    assert.match(validConfig({ target: 'ftp://example.com' }) ?? '', /target/);
    assert.match(validConfig({ timeouts: { connect: 'soon' } }) ?? '', /connect/);
    assert.match(validConfig({ journey: [{ name: 'a', request: { path: '/' }, expect: [{ stauts: 200 }] }] }) ?? '', /expect/);
    assert.match(validPersona({ name: 'p', wieght: 2 }) ?? '', /must match a schema in anyOf/);
  });
});
