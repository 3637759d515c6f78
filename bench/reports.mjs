#!/usr/bin/env node
/**
 * Times `troupe report` on a synthetic run directory of 1,000,000 results
 * (100 personas × 1,000 locations × 10 iterations). Needs a build first (it loads dist/).
 *
 *   npm run build && node bench/reports.mjs                       # generate, then time csv+pdf
 *   node bench/reports.mjs --dir /tmp/big --keep                  # reuse/keep the run directory
 *   node bench/reports.mjs --personas 10 --locations 100          # smaller
 *
 * Prints the size of results.ndjson and summary.json, then the wall time and peak RSS of
 * `troupe report` measured with GNU time (`/usr/bin/time -f '%e %M'`). Targets: ≤ 10 s, ≤ 300 MB.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    personas: { type: 'string', default: '100' },
    locations: { type: 'string', default: '1000' },
    iterations: { type: 'string', default: '10' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    format: { type: 'string', default: 'csv,pdf' },
  },
});
const P = Number(values.personas);
const L = Number(values.locations);
const I = Number(values.iterations);
const dir = values.dir ?? join(tmpdir(), `troupe-bench-reports-${P}x${L}x${I}`);
const { RunMetrics } = await import(join(root, 'dist/src/metrics/run-metrics.js'));

/** Deterministic PRNG (mulberry32), so every run of the bench measures the same directory. */
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'personas'), { recursive: true });
  const random = rng(42);
  const personas = Array.from({ length: P }, (_, i) => `Persona ${String(i + 1).padStart(3, '0')} (${['site selector', 'field rep', 'analyst', 'manager'][i % 4]})`);
  const locations = Array.from({ length: L }, (_, i) => `loc-${String(i + 1).padStart(4, '0')}-${['downtown', 'suburb', 'airport', 'harbour'][i % 4]}`);
  const total = P * L * I;
  const t0 = Date.UTC(2026, 0, 1, 12);
  const spanMs = (total / 1000) * 1000; // 1,000 requests a second
  const metrics = new RunMetrics();
  const out = createWriteStream(join(dir, 'results.ndjson'));
  let n = 0;
  let lines = [];
  for (let it = 1; it <= I; it++) {
    for (const persona of personas) {
      const slug = persona.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
      for (const location of locations) {
        const startedAt = t0 + Math.floor((n / total) * spanMs);
        const hit = it > 1 && random() < 0.9;
        const base = hit ? 2 + random() * 8 : 40 + random() * 80;
        const latencyMs = Math.round((base + (random() < 0.01 ? random() * 2000 : 0)) * 1000) / 1000;
        const roll = random();
        const failed = roll < 0.005 ? 'http_5xx' : roll < 0.006 ? 'timeout_total' : null;
        const record = {
          type: 'result',
          id: `${slug}/${location}/${it}`,
          persona,
          location,
          iteration: it,
          step: 'request',
          method: 'POST',
          url: 'https://staging.example.com/api/v1/analyze',
          status: failed === 'timeout_total' ? null : failed ? 500 : 200,
          ok: failed === null,
          error: failed,
          ...(failed ? { message: failed === 'http_5xx' ? 'HTTP 500 Internal Server Error' : 'no complete response within 180000 ms' } : {}),
          latencyMs,
          ttfbMs: failed === 'timeout_total' ? null : Math.round(latencyMs * 900) / 1000,
          bytes: failed ? 0 : 900 + Math.floor(random() * 300),
          cache: failed ? 'unknown' : hit ? 'hit' : 'miss',
          startedAt,
        };
        metrics.add(record);
        const { type: _t, ...line } = record;
        lines.push(JSON.stringify(line));
        n++;
        if (lines.length === 5000) {
          if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
          lines = [];
        }
      }
    }
  }
  if (lines.length) out.write(`${lines.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  const endedAt = new Date(t0 + spanMs + 200).toISOString();
  const common = { troupe: '0.1.0', runId: `bench-${P}x${L}x${I}`, name: 'bench', status: 'complete', target: 'https://staging.example.com', startedAt: new Date(t0).toISOString() };
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...common, shard: null, endedAt, config: { iterations: I, concurrency: 50 }, personas: personas.map((name) => ({ name })), locations: { count: L, source: 'synthetic' }, configHash: 'bench', planned: total, node: process.version }, null, 2));
  const summary = { ...common, endedAt, durationMs: spanMs + 200, planned: total, completed: total, concurrency: 50, ...metrics.toSummary() };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
if (!existsSync(join(dir, 'summary.json'))) {
  const t = Date.now();
  await generate();
  console.log(`generated ${dir} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
console.log(`results.ndjson ${mb(statSync(join(dir, 'results.ndjson')).size)}, summary.json ${mb(statSync(join(dir, 'summary.json')).size)}`);
const timing = join(dir, '.time');
execFileSync('/usr/bin/time', ['-f', '%e %M', '-o', timing, process.execPath, join(root, 'bin/troupe.js'), 'report', dir, '--format', values.format], { stdio: ['ignore', 'ignore', 'inherit'] });
const [seconds, kb] = execFileSync('cat', [timing], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
console.log(`troupe report --format ${values.format}: ${seconds.toFixed(2)} s, peak RSS ${(kb / 1024).toFixed(0)} MB (targets: ≤ 10 s, ≤ 300 MB)`);
for (const f of ['csv/requests.csv', 'csv/locations.csv', 'report.pdf']) {
  if (existsSync(join(dir, f))) console.log(`  ${f}: ${mb(statSync(join(dir, f)).size)}`);
}
if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
