/**
 * The one reader of run.json and summary.json. A missing file is `null` (each caller says what that
 * means for it); a file that cannot be read, is not JSON or does not match its schema is a
 * DamagedFileError (`E_RUN_DIR_DAMAGED`, exit 2) naming it; a newer major format version is a
 * FormatVersionError (`E_RUN_DIR_FORMAT`, exit 2) — never a stack trace.
 */
import { open, readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { ScopeSummary } from '../metrics/aggregate.js';
import { checkedFile, damaged } from './format.js';
import { objectMembers, parseMember, type Member } from './json-members.js';
import { runDirPaths } from './layout.js';
import { comparableSummarySchema, manifestSchema, summaryEnvelopeSchema } from './schemas.js';
import type { RunManifest, RunSummary } from './types.js';

async function readText(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw damaged(path, `cannot be read (${(err as Error).message})`);
  }
}

function parseObject(path: string, buf: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw damaged(path, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw damaged(path, 'not a JSON object');
  return value as Record<string, unknown>;
}

/** `<dir>/run.json`, or null when the directory has none. */
export async function readManifest(dir: string): Promise<RunManifest | null> {
  const path = runDirPaths(dir).manifest;
  const buf = await readText(path);
  return buf === null ? null : checkedFile(path, manifestSchema, parseObject(path, buf));
}

/** A summary.json file (given by its path: `troupe compare` takes one directly), or null when missing. */
export async function readSummary(path: string): Promise<RunSummary | null> {
  const buf = await readText(path);
  return buf === null ? null : checkedFile(path, summaryEnvelopeSchema, parseObject(path, buf));
}

/** A summary.json for `troupe compare`: only the scopes it compares are required to be there (see comparableSummarySchema). */
export async function readComparableSummary(path: string): Promise<z.output<typeof comparableSummarySchema> | null> {
  const buf = await readText(path);
  return buf === null ? null : checkedFile(path, comparableSummarySchema, parseObject(path, buf));
}

import type { PersonaLocations } from './persona-locations.js';
export type { PersonaLocations };

/**
 * summary.json member by member, for reports: everything but `personaLocations` now. A summary written
 * before persona × location scopes left it (~97 MB for 100 × 1,000 scopes, ~265 MB of heap if parsed at
 * once) has that member: of it only where each persona's part lies is noted, and parsed one persona at a
 * time when the locations table is written. `personaLocations` is null when the file has no such member
 * (the caller rebuilds them from results.ndjson). Null when missing.
 */
export async function readSummaryParts(path: string): Promise<{ summary: RunSummary; personaLocations: PersonaLocations | null } | null> {
  const buf = await readText(path);
  if (buf === null) return null;
  const summary: Record<string, unknown> = {};
  let spans: Member[] | null = null;
  try {
    for (const m of objectMembers(buf)) {
      if (m.key === 'personaLocations') spans = [...objectMembers(buf, m.start)];
      else summary[m.key] = parseMember(buf, m);
    }
  } catch (err) {
    throw damaged(path, `not valid JSON (${(err as Error).message})`);
  }
  const members = spans;
  return {
    summary: checkedFile(path, summaryEnvelopeSchema, summary),
    personaLocations: members === null ? null : async function* () {
      const handle = await open(path, 'r');
      try {
        for (const m of members) {
          const part = Buffer.alloc(m.end - m.start);
          await handle.read(part, 0, part.length, m.start);
          for (const [id, scope] of Object.entries(JSON.parse(part.toString('utf8')) as Record<string, ScopeSummary>)) yield [m.key, id, scope];
        }
      } finally {
        await handle.close();
      }
    },
  };
}
