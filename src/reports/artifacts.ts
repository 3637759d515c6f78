import { ArtifactError } from '../errors.js';

/**
 * Write one artifact (junit.xml, summary.md, compare.json …); when it cannot be written, record why in
 * `failed` and go on, so that one unwritable file does not cost the others. The command says which
 * failed and exits 4 (unless a more important code applies, see src/errors.ts).
 */
export async function attemptArtifact<T>(artifact: string, failed: ArtifactError[], write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    failed.push(err instanceof ArtifactError ? err : new ArtifactError(artifact, err instanceof Error ? err.message : String(err), { cause: err }));
    return undefined;
  }
}
