/**
 * The end-of-run outputs' artifacts (csv, pdf, html, junit, markdown): what src/sinks/registry.ts's entries
 * call when they stop. csv, pdf and html share one pass over results.ndjson, whichever of them stops first.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ArtifactError } from '../errors.js';
import { runDirPaths } from '../run-dir/layout.js';
import type { RunSummary } from '../run-dir/types.js';
import { shownPath } from '../run-dir/paths.js';
import type { ArtifactBuild, OutputRequest } from '../sinks/registry.js';
import type { RunEnd } from '../sinks/output.js';
import type { BuildResult } from './build.js';
import { artifactName } from './artifact-name.js';
import type { Comparison } from './compare.js';

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The `artifact` function of an OutputContext: `requests` are all the outputs of the run (so that csv and
 * pdf are built in one pass), `cwd` resolves `junit=FILE`.
 */
export function reportArtifacts(requests: readonly OutputRequest[], cwd: string): (name: string, arg: string | undefined) => ArtifactBuild {
  const formats = ['csv', 'pdf', 'html'].filter((f) => requests.some((r) => r.name === f));
  let built: Promise<BuildResult> | null = null;
  const buildFormats = (runDir: string) => (built ??= import('./build.js').then((m) => m.buildReports(runDir, formats)));

  return (name, arg) => {
    switch (name) {
      case 'csv':
      case 'pdf':
      case 'html':
        return async (end) => {
          const result = await buildFormats(end.runDir);
          const failure = result.failed.find((f) => f.artifact === artifactName(end.runDir, name));
          if (failure) throw failure;
        };
      case 'junit':
        return async (end) => {
          const path = arg === undefined ? runDirPaths(end.runDir).junit : resolve(cwd, arg);
          const { renderJunit, writeJunit } = await import('./junit.js');
          await guarded(path, () => writeJunit(path, renderJunit(end.summary as RunSummary, end.comparison as Comparison | null)));
        };
      case 'markdown':
        return async (end: RunEnd) => {
          const path = runDirPaths(end.runDir).markdown;
          const { renderMarkdown, writeMarkdown } = await import('./markdown.js');
          return (await guarded(path, () => writeMarkdown(path, renderMarkdown(end.summary as RunSummary, end.comparison as Comparison | null)))) ?? undefined;
        };
      case 'history':
        return async (end) => {
          const dir = resolve(cwd, arg!);
          const path = join(dir, `${basename(end.runDir)}.json`);
          await guarded(path, async () => {
            await mkdir(dir, { recursive: true });
            await copyFile(runDirPaths(end.runDir).summary, path);
          });
        };
      default:
        throw new Error(`no artifact builder for output "${name}"`);
    }
  };
}

async function guarded<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw new ArtifactError(shownPath(path), reason(err), { cause: err });
  }
}
