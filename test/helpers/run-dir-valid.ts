/**
 * Every file of a run directory checked against its schema: run.json, summary.json (in full, every scope,
 * and against the shipped JSON Schema too), each results.ndjson line (a cut-off last line excepted) and
 * each persona snapshot. Called by the tests that write run directories (run, resume, merge, bench, report).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { manifestSchema, resultLineSchema, runDirJsonSchemas, snapshotSchema, summarySchema, MANIFEST_SCHEMA_FILE, SUMMARY_SCHEMA_FILE, FORMAT_VERSION } from '../../src/run-dir/schemas.js';
import { schemaValidator } from './json-schema.js';

const jsonSchemas = new Map(runDirJsonSchemas('test'));
let validators: { summary: (d: unknown) => string | null; manifest: (d: unknown) => string | null } | null = null;

function check(what: string, schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value);
  assert.ok(result.success, `${what} does not match its schema: ${result.error?.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}

export interface RunDirValidity {
  lines: number;
  snapshots: number;
  hasSummary: boolean;
}

/** `options.summary: false` for a run directory that has none yet (killed before it ended). */
export async function assertRunDirValid(dir: string, options: { summary?: boolean } = {}): Promise<RunDirValidity> {
  validators ??= { summary: schemaValidator(jsonSchemas.get(SUMMARY_SCHEMA_FILE)!), manifest: schemaValidator(jsonSchemas.get(MANIFEST_SCHEMA_FILE)!) };
  const files = await readdir(dir);
  const manifest = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as unknown;
  check(`${dir}/run.json`, manifestSchema, manifest);
  assert.equal(validators.manifest(manifest), null, `${dir}/run.json against ${MANIFEST_SCHEMA_FILE}`);
  assert.equal((manifest as { formatVersion?: string }).formatVersion, FORMAT_VERSION, 'run.json carries the format version');

  const hasSummary = files.includes('summary.json');
  if (options.summary !== false) assert.ok(hasSummary, `${dir} has a summary.json`);
  if (hasSummary) {
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as unknown;
    check(`${dir}/summary.json`, summarySchema, summary);
    assert.equal(validators.summary(summary), null, `${dir}/summary.json against ${SUMMARY_SCHEMA_FILE}`);
    assert.equal((summary as { formatVersion?: string }).formatVersion, FORMAT_VERSION, 'summary.json carries the format version');
  }

  let lines = 0;
  if (files.includes('results.ndjson')) {
    const raw = (await readFile(join(dir, 'results.ndjson'), 'utf8')).split('\n');
    raw.forEach((text, i) => {
      if (text === '') return;
      let line: unknown;
      try {
        line = JSON.parse(text);
      } catch {
        assert.equal(i, raw.length - 1, `results.ndjson line ${i + 1} does not parse and is not the cut-off last line`);
        return;
      }
      check(`results.ndjson line ${i + 1}`, resultLineSchema, line);
      lines++;
    });
  }

  let snapshots = 0;
  const personas = files.includes('personas') ? (await readdir(join(dir, 'personas'))).filter((f) => f.endsWith('.json')) : [];
  for (const file of personas) {
    check(`personas/${file}`, snapshotSchema, JSON.parse(await readFile(join(dir, 'personas', file), 'utf8')));
    snapshots++;
  }
  return { lines, snapshots, hasSummary };
}

/** A whole run.json (readers check its schema), for tests that set up a run directory by hand. */
export function sampleManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    troupe: '0.1.0',
    runId: 'run',
    name: 'run',
    status: 'interrupted',
    target: 'http://127.0.0.1:1',
    shard: null,
    startedAt: new Date().toISOString(),
    endedAt: null,
    config: {},
    personas: [],
    locations: { count: 0, source: 'test' },
    configHash: 'x',
    planned: 0,
    node: process.version,
    ...overrides,
  };
}
