// report.html's size for a big run: a synthetic run of 1,000,000 requests over 100,000 locations and 10
// personas, then buildReports(dir, ['html']). Usage: npm run build && node bench/report-html-size.mjs [work-dir]
import { mkdir, writeFile, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { RunMetrics } from '../dist/src/metrics/run-metrics.js';
import { buildReports } from '../dist/src/reports/build.js';
const dir = join(process.argv[2] ?? join(tmpdir(), 'troupe-html-size'), 'run-1m');
await mkdir(join(dir, 'personas'), { recursive: true });
const metrics = new RunMetrics();
const out = createWriteStream(join(dir, 'results.ndjson'));
const T0 = Date.UTC(2026, 11, 1);
for (let i = 0; i < 1_000_000; i++) {
  const r = { type: 'result', id: `p${i % 10}/l${i % 100000}/${Math.floor(i / 100000) + 1}`, persona: `Persona ${i % 10}`, location: `l${i % 100000}`, iteration: Math.floor(i / 100000) + 1, step: 'request', method: 'GET', url: 'http://127.0.0.1:1/', status: 200, ok: true, error: null, latencyMs: 1 + (i % 97) * 0.7, ttfbMs: 0.5, bytes: 300, cache: i < 100000 ? 'miss' : 'hit', startedAt: T0 + Math.floor(i / 1000) * 1000 + (i % 1000) };
  metrics.add(r);
  const { type, ...line } = r;
  if (!out.write(JSON.stringify(line) + '\n')) await new Promise((r) => out.once('drain', r));
}
await new Promise((r) => out.end(r));
const base = { formatVersion: '1.0.0', troupe: '0.1.0', runId: 'big-20261201-000000', name: 'big', status: 'complete', target: 'http://127.0.0.1:1', startedAt: new Date(T0).toISOString() };
const endedAt = new Date(T0 + 1000_000).toISOString();
await writeFile(join(dir, 'summary.json'), JSON.stringify({ ...base, endedAt, durationMs: 1000_000, planned: 1_000_000, completed: 1_000_000, concurrency: 50, ...metrics.toSummary() }));
const t = Date.now();
const r = await buildReports(dir, ['html']);
console.log(r.failed.map(String), `built in ${Date.now() - t} ms`, (await stat(join(dir, 'report.html'))).size, 'bytes');
