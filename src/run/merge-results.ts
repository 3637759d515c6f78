/**
 * The merged results.ndjson, in the order one process would have written it: the shards' visits
 * interleaved by when each completed. A run appends a visit's lines together when the visit completes,
 * so each shard's file is in completion order (give or take its concurrency); a k-way merge on the
 * completion time of each visit's last line keeps the merged file so. Readers that assume completion
 * order — the per-second series (src/reports/timeseries.ts closes a second 60 s of completions after
 * it), the persona order of the warm-up curve — then see what they would see in one process, where
 * shard after shard would put a later shard's first second a whole run behind.
 */
import { once } from 'node:events';
import { runDirPaths } from '../run-dir/layout.js';
import { readResultEntries, type ResultLine } from '../run-dir/results.js';
import { openResults } from '../run-dir/results-writer.js';

interface Visit {
  /** Epoch ms the visit's last line completed. */
  end: number;
  lines: ResultLine[];
  texts: string[];
}

/** A shard's visits: consecutive lines with one work-item id (a journey's steps and attempts). */
async function* visitsOf(dir: string): AsyncGenerator<Visit> {
  let current: Visit | null = null;
  let id: string | null = null;
  // Every line is checked (a damaged shard stops the merge, exit 2), and copied as written.
  for await (const entry of readResultEntries(runDirPaths(dir).results, { missingIsEmpty: true })) {
    const r = entry.result;
    if (current && r.id !== id) {
      yield current;
      current = null;
    }
    id = r.id;
    current ??= { end: -Infinity, lines: [], texts: [] };
    current.end = r.startedAt + r.latencyMs;
    current.lines.push(r);
    current.texts.push(entry.text);
  }
  if (current) yield current;
}

/**
 * Writes `<out>/results.ndjson` from the shards' files; `observe` sees every line in the merged order.
 * Returns the lines written. Ties go to the lower shard, so the output is deterministic.
 */
export async function mergeResultFiles(dirs: readonly string[], out: string, observe: (line: ResultLine) => void): Promise<number> {
  const stream = await openResults(out, 'new');
  const sources = dirs.map(visitsOf);
  let lines = 0;
  try {
    const heads: Array<Visit | null> = await Promise.all(sources.map(async (s) => (await s.next()).value ?? null));
    for (;;) {
      let pick = -1;
      for (let i = 0; i < heads.length; i++) if (heads[i] && (pick < 0 || heads[i]!.end < heads[pick]!.end)) pick = i;
      if (pick < 0) break;
      const visit = heads[pick]!;
      for (const line of visit.lines) observe(line);
      if (!stream.write(`${visit.texts.join('\n')}\n`)) await once(stream, 'drain');
      lines += visit.texts.length;
      heads[pick] = (await sources[pick]!.next()).value ?? null;
    }
  } finally {
    await Promise.all(sources.map((s) => s.return(undefined)));
    stream.end();
    await once(stream, 'close');
  }
  return lines;
}
