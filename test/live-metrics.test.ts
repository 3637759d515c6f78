/**
 * Live metrics against real receivers: Debian's Prometheus scrapes troupe's /metrics and receives its
 * remote writes; an OTLP/HTTP receiver here decodes the OpenTelemetry exports. After a 3 s run at
 * 100 req/s (three scrapes, the final push and export; long enough for every path, short for the suite's
 * budget), each path's request count equals summary.json's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { run } from '../src/index.js';
import { REPO_ROOT, tempDir } from './helpers/cli.js';
import { asCheckout, readmeCommands, runShell } from './helpers/readme.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { startCountingServer } from './helpers/servers.js';

const PROMETHEUS = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `n` distinct free ports: all held open at once, so two callers at the same moment cannot get one port twice. */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/** Polls `check` every 200 ms until it returns a value or `ms` pass. */
async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not within ${ms} ms${last ? ` (${String(last)})` : ''}`);
}

interface OtlpPoint {
  attributes?: { key: string; value: Record<string, unknown> }[];
  asInt?: string | number;
  asDouble?: number;
  timeUnixNano?: string;
}

// The refusal test needs no Prometheus and mostly waits (the OTLP exporter retries a refused connection
// until its export timeout), so it runs beside the Prometheus suite's start-up rather than after it.
describe('live metrics', { concurrency: true }, () => {
// One at a time inside (subtests would inherit the outer concurrency): the README lines must not load the
// machine while the 100 req/s run is measured.
describe('live metrics into Prometheus and OTLP', { concurrency: false }, () => {
  let prometheus: ChildProcess;
  let promUrl: string;
  let metricsPort: number;
  let otlp: Server;
  let otlpUrl: string;
  const otlpBodies: unknown[] = [];

  before(async () => {
    assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing: apt-get install prometheus (.ci/run does)`);
    const dir = await tempDir('troupe-prom-');
    metricsPort = await freePort();
    const promPort = await freePort();
    await writeFile(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: troupe-scrape\n    static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }]\n`);
    await mkdir(join(dir, 'data'));
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--web.enable-remote-write-receiver'], { stdio: 'ignore' });
    promUrl = `http://127.0.0.1:${promPort}`;
    await eventually('Prometheus ready', 30_000, async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
    // Ready is not scraping: Prometheus hands discovered targets to its scrape pools at most every 5 s,
    // so a run shorter than that could end before the first scrape. Wait until the target is known.
    await eventually('Prometheus has the scrape target', 30_000, async () => {
      const body = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: unknown[] } };
      return body.data.activeTargets.length > 0 ? true : undefined;
    });

    otlp = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (req.url === '/v1/metrics' && /json/.test(req.headers['content-type'] ?? '')) otlpBodies.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => otlp.listen(0, '127.0.0.1', resolve));
    otlpUrl = `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`;
  });

  after(async () => {
    prometheus?.kill('SIGTERM');
    await new Promise<void>((resolve) => (otlp ? otlp.close(() => resolve()) : resolve()));
  });

  const promValue = async (query: string): Promise<number | undefined> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    const first = body.data.result[0];
    return first ? Number(first.value[1]) : undefined;
  };

  it('a 3 s run at 100 req/s: Prometheus (scrape and remote write) and the OTLP receiver count what summary.json counts', async () => {
    const project = await writeProject({
      // The demo target: cache hits and misses, and 5 % errors, so every dashboard query has data.
      config: `name: live\ntarget: demo\npersonas: personas\nlocations: locations.csv\nout: ${JSON.stringify(await tempDir())}\ndemo: { missLatency: 1ms, errorRate: 0.05 }\nrequest: { method: POST, path: /api/v1/analyze, json: { address: "{{location.id}} Main St", radius_miles: 5 } }\n`,
      personas: { 'a.yaml': 'name: Ana\n', 'b.yaml': 'name: Bo\n' },
      locations: locationsCsv(20),
    });
    const result = await run({
      cwd: project,
      rate: 100,
      duration: 3_000,
      outputs: [`prometheus=127.0.0.1:${metricsPort}`, `prometheus-rw=${promUrl}/api/v1/write`, `otlp=${otlpUrl}`],
    });
    assert.equal(result.status, 'complete');
    // A saturation warning depends on the machine (a loaded CI box); the point here is that no push failed.
    assert.deepEqual(result.warnings.filter((w) => !/load generator was saturated/.test(w)), [], 'no push failed');
    const requests = result.summary.global.requests;
    assert.ok(requests >= 290 && requests <= 310, `about 300 requests, got ${requests}`);

    const scraped = await eventually('the scraped count', 15_000, async () => {
      const v = await promValue(`sum(troupe_requests_total{job="troupe-scrape",run_id="${result.runId}"})`);
      return v === requests ? v : undefined;
    });
    assert.equal(scraped, requests, 'scrape path');
    const pushed = await eventually('the remote-written count', 15_000, async () => {
      const v = await promValue(`sum(troupe_requests_total{job="troupe",run_id="${result.runId}"})`);
      return v === requests ? v : undefined;
    });
    assert.equal(pushed, requests, 'remote write path');
    const byPersona = await promValue(`sum(troupe_requests_total{job="troupe-scrape",run_id="${result.runId}",persona="Ana"})`);
    assert.equal(byPersona, result.summary.personas['Ana']!.requests, 'labelled by persona');
    const latencyCount = await promValue(`sum(troupe_request_duration_seconds_count{job="troupe-scrape",run_id="${result.runId}"})`);
    assert.equal(latencyCount, requests);
    // The load level over time: the open model's schedule asked for 100 arrivals/s while it ran.
    const rate = await promValue(`max_over_time(troupe_arrival_rate{job="troupe-scrape",run_id="${result.runId}"}[5m])`);
    assert.equal(rate, 100, 'the arrival-rate gauge follows the schedule');

    // The Grafana example's queries run against this Prometheus and find the run.
    const dashboard = JSON.parse(await readFile(join(REPO_ROOT, 'examples', 'grafana', 'troupe-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    for (const { expr } of dashboard.panels.flatMap((p) => p.targets)) {
      const query = expr.replaceAll('$run_id', result.runId);
      const res = (await (await fetch(`${promUrl}/api/v1/query_range?query=${encodeURIComponent(query)}&start=${Math.floor(Date.now() / 1000) - 60}&end=${Math.floor(Date.now() / 1000)}&step=5`)).json()) as { status: string; data?: { result: unknown[] } };
      assert.equal(res.status, 'success', query);
      assert.ok((res.data?.result.length ?? 0) > 0, `the dashboard query finds the run: ${query}`);
    }

    // OTLP: cumulative sums; the last export carries the totals per attribute set.
    const latest = new Map<string, number>();
    for (const body of otlpBodies as { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: OtlpPoint[] } }[] }[] }[] }[]) {
      for (const rm of body.resourceMetrics) {
        for (const sm of rm.scopeMetrics) {
          for (const m of sm.metrics) {
            if (m.name !== 'troupe.requests') continue;
            for (const p of m.sum?.dataPoints ?? []) latest.set(JSON.stringify(p.attributes), Number(p.asInt ?? p.asDouble ?? 0));
          }
        }
      }
    }
    const otlpCount = [...latest.values()].reduce((a, b) => a + b, 0);
    assert.equal(otlpCount, requests, `OTLP receiver decoded ${otlpCount} over ${otlpBodies.length} exports`);
  });

  it('README: the live metrics commands, pasted (ports pointed at this test\'s receivers, 0.0.0.0 at loopback), run the demo with no warning', async () => {
    const lines = await readmeCommands('live-metrics-commands');
    assert.equal(lines.length, 4);
    const project = await tempDir('troupe-readme-live-');
    const before = otlpBodies.length;
    // The four lines at once: each is a separate process on its own port (or pushing to its own run id),
    // and most of each one's time is start-up and the demo's waits, not CPU.
    const ports = await freePorts(lines.length);
    await Promise.all(lines.map(async (line, i) => {
      const port = ports[i]!;
      // Tests send traffic to loopback only: the README's 0.0.0.0 line binds 127.0.0.1 here.
      const command = asCheckout(line)
        .replace(/(0\.0\.0\.0|127\.0\.0\.1):9464/, `127.0.0.1:${port}`)
        .replace('http://127.0.0.1:9090', promUrl)
        .replace('http://127.0.0.1:4318', otlpUrl)
        // The outputs are the subject, not the reports (csv/ and report.pdf are the report tests'): the
        // line's own comment goes, --no-reports comes in its place.
        .replace(/\s+#.*$/, ' --no-reports');
      const r = await runShell(command, project, 60_000);
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /failed|could not/, line);
    }));
    assert.ok(otlpBodies.length > before, 'the otlp line exported');
  });
});

  it('an endpoint that refuses is reported and counted; the run completes', async (t) => {
    const target = await startCountingServer({ delayMs: 2 });
    t.after(() => target.close());
    const closed = await freePort();
    const project = await writeProject({
      config: `name: refused\ntarget: ${target.url}\npersonas: personas\nlocations: locations.csv\nout: ${JSON.stringify(await tempDir())}\nrequest: { method: GET, path: "/{{location.id}}" }\n`,
      personas: { 'a.yaml': 'name: Ana\n' },
      locations: locationsCsv(10),
    });
    const result = await run({ cwd: project, outputs: [`prometheus-rw=http://user:s3cret@127.0.0.1:${closed}/api/v1/write`, `otlp=http://user:s3cret@127.0.0.1:${closed}`] });
    assert.equal(result.status, 'complete');
    assert.equal(result.summary.global.requests, 10);
    // The endpoints' warnings are the subject; a saturation warning (this file shares the machine with
    // the rest of the suite) is not.
    const warnings = result.warnings.filter((w) => !w.startsWith('the load generator was saturated'));
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings.join('\n'), /prometheus-rw: (\d+) of \1 pushes to http:\/\/\[redacted\]@127\.0\.0\.1:\d+\/api\/v1\/write failed \(last: fetch failed: connect ECONNREFUSED/);
    assert.match(warnings.join('\n'), /otlp: \d+ export\(s\) to http:\/\/\[redacted\]@127\.0\.0\.1:\d+\/v1\/metrics failed/);
    assert.doesNotMatch(warnings.join('\n'), /s3cret|user:/);
  });
});
