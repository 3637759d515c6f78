/** The one manifest builder: run, bench, resume and merge all make run.json here. */
import { TROUPE_VERSION } from '../version.js';
import { FORMAT_VERSION } from './schemas.js';
import type { RunManifest, RunStatus } from './types.js';

/** What the caller knows; the builder adds the troupe version (unless kept from an earlier one), the format version and Node's. */
export type ManifestFields = Omit<RunManifest, 'troupe' | 'formatVersion' | 'node'> & { troupe?: string; formatVersion?: string; node?: string };

/** A run.json in the current format. `fields` may be an earlier manifest (resume, merge): its keys are kept. */
export function buildManifest(fields: ManifestFields): RunManifest {
  const { troupe, formatVersion: _older, node: _node, ...rest } = fields;
  return { troupe: troupe ?? TROUPE_VERSION, formatVersion: FORMAT_VERSION, ...rest, node: process.version };
}

export interface ManifestEnd {
  status: RunStatus;
  endedAt: Date;
  /** Why the run ended early. */
  reason?: string;
  /** Requests cut after the grace period: recorded only when some were. */
  aborted?: number;
  planned?: number;
}

/** The final run.json of a run: its status and end; a reason or aborted count only when there is one. */
export function finishManifest(manifest: RunManifest, end: ManifestEnd): RunManifest {
  const { reason: _r, aborted: _a, ...rest } = manifest;
  return {
    ...rest,
    status: end.status,
    endedAt: end.endedAt.toISOString(),
    ...(end.planned !== undefined ? { planned: end.planned } : {}),
    ...(end.reason ? { reason: end.reason } : {}),
    ...(end.aborted ? { aborted: end.aborted } : {}),
  };
}
