/**
 * The one writer of run.json, summary.json and persona snapshots: each checked against its schema
 * (the envelope only where a file can be large), then written temp-then-rename. A file that fails its
 * schema is troupe's bug, not the user's: it is not written, and the error says which key.
 */
import type { z } from 'zod';
import { TroupeError, ExitCode } from '../errors.js';
import type { PersonaSnapshot } from '../metrics/run-metrics.js';
import { toJson, writeFileAtomic, writeFileAtomicSync } from '../util/atomic-write.js';
import { describeIssues } from './format.js';
import { runDirPaths, snapshotPath } from './layout.js';
import { manifestSchema, snapshotEnvelopeSchema, summaryEnvelopeSchema } from './schemas.js';
import type { RunManifest, RunSummary } from './types.js';

function checked(path: string, schema: z.ZodType, value: unknown): string {
  // jitless: a few writes per run; generating zod's fast path costs more than it saves (see inputs/issues.ts).
  const result = schema.safeParse(value, { jitless: true });
  if (!result.success) throw new TroupeError('E_INTERNAL', `troupe would write an invalid ${path} (${describeIssues(result.error)}); please report this`, ExitCode.failed);
  return toJson(value);
}

export async function writeManifest(dir: string, manifest: RunManifest): Promise<void> {
  const path = runDirPaths(dir).manifest;
  await writeFileAtomic(path, checked(path, manifestSchema, manifest));
}

/** For a process about to exit at once (a second Ctrl-C): synchronous, still atomic. */
export function writeManifestSync(dir: string, manifest: RunManifest): void {
  const path = runDirPaths(dir).manifest;
  writeFileAtomicSync(path, checked(path, manifestSchema, manifest));
}

export async function writeSummary(dir: string, summary: RunSummary): Promise<void> {
  const path = runDirPaths(dir).summary;
  await writeFileAtomic(path, checked(path, summaryEnvelopeSchema, summary));
}

/** personas/<slug>.json. */
export async function writeSnapshot(dir: string, slug: string, snapshot: PersonaSnapshot): Promise<void> {
  const path = snapshotPath(dir, slug);
  await writeFileAtomic(path, checked(path, snapshotEnvelopeSchema, snapshot));
}

/** The snapshot's text, checked, for a writer that schedules its own writes (the snapshot sink). */
export function snapshotText(path: string, snapshot: PersonaSnapshot): string {
  return checked(path, snapshotEnvelopeSchema, snapshot);
}
