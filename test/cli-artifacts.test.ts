import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onlyRunDir, REPO_ROOT, startCli, tempDir } from './helpers/cli.js';

const PERCENTILES: Array<[string, number]> = [['p50', 50], ['p75', 75], ['p90', 90], ['p95', 95], ['p99', 99], ['p999', 99.9], ['max', 100]];

/** Nearest-rank percentile of a sorted list: the value that `p` percent of samples are at or below. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function assertAgrees(scope: string, summaryLatency: Record<string, number>, latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  for (const [key, p] of PERCENTILES) {
    const exact = exactPercentile(sorted, p);
    const reported = summaryLatency[key]!;
    // 3 significant digits: within 0.1 % of the value, plus the microsecond rounding of samples.
    const tolerance = exact * 0.001 + 0.002;
    assert.ok(Math.abs(reported - exact) <= tolerance, `${scope} ${key}: summary ${reported} vs exact ${exact} (±${tolerance.toFixed(4)})`);
  }
  assert.equal(summaryLatency.count, latencies.length, `${scope} count`);
}

test('snapshots parse at any moment of a run, and summary percentiles agree with exact ones from results.ndjson', async () => {
  const dir = await tempDir();
  const out = join(dir, 'reports');
  // The shipped example, with slower misses and two iterations so the run lasts a couple of seconds.
  const config = join(dir, 'troupe.config.yaml');
  await writeFile(
    config,
    [
      'name: watched',
      'target: demo',
      `personas: ${join(REPO_ROOT, 'personas')}`,
      `locations: ${join(REPO_ROOT, 'fixtures', 'locations.csv')}`,
      'concurrency: 3',
      'iterations: 2',
      'demo: { missLatency: 30ms }',
    ].join('\n'),
  );
  const { done } = startCli(['run', '--no-reports', '--config', config, '--out', out], { cwd: dir, timeoutMs: 60_000 });
  let exited = false;
  const finished = done.finally(() => (exited = true));

  let reads = 0;
  let rounds = 0;
  // Read every snapshot as fast as possible until the run ends (bounded by the CLI's own timeout).
  while (!exited && rounds < 100_000) {
    rounds++;
    const runs = await readdir(out).catch(() => [] as string[]);
    for (const run of runs) {
      const personasDir = join(out, run, 'personas');
      for (const file of await readdir(personasDir).catch(() => [] as string[])) {
        if (!file.endsWith('.json')) continue;
        const text = await readFile(join(personasDir, file), 'utf8').catch(() => null);
        if (text === null) continue;
        assert.doesNotThrow(() => JSON.parse(text), `snapshot ${file} read mid-run parses: ${text.slice(0, 200)}`);
        reads++;
      }
    }
    await new Promise((r) => setImmediate(r));
  }
  const result = await finished;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(reads >= 20, `read ${reads} snapshots during the run`);

  const runDir = await onlyRunDir(out);
  const results = (await readFile(join(runDir, 'results.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { persona: string; latencyMs: number; cache: string });
  assert.equal(results.length, 160);
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
  assertAgrees('global', summary.global.latency, results.map((r) => r.latencyMs));
  for (const persona of Object.keys(summary.personas)) {
    assertAgrees(persona, summary.personas[persona].latency, results.filter((r) => r.persona === persona).map((r) => r.latencyMs));
  }
  assertAgrees('cache hit', summary.cacheStatus.hit.latency, results.filter((r) => r.cache === 'hit').map((r) => r.latencyMs));

  // The final snapshot of each persona matches the summary's counts for it.
  for (const file of await readdir(join(runDir, 'personas'))) {
    const snap = JSON.parse(await readFile(join(runDir, 'personas', file), 'utf8'));
    assert.equal(snap.requests, summary.personas[snap.persona].requests, file);
    assert.equal(Object.keys(snap.locations).length, 16, `${file} has per-location results`);
  }
});
