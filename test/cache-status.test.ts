/** Cache status from the header forms CDNs, proxies and RFC 9211 use, and an Age-only cache end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { CACHE_DETECTOR_NAMES, CACHE_DETECTORS, CACHE_HEADER_NAMES, cacheStatusFromHeaders, classifyCache, statusFromCacheStatusHeader, type ResponseHeaders } from '../src/engine/cache-status.js';
import type { CacheStatus } from '../src/engine/records.js';
import { loadInputs } from '../src/inputs/config.js';
import { executeRun } from '../src/run/execute.js';
import { tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';

const FORMS: [string, ResponseHeaders, CacheStatus][] = [
  // RFC 9211 §3 examples and variants
  ['RFC 9211: hit', { 'cache-status': 'ExampleCache; hit' }, 'hit'],
  ['RFC 9211: uri-miss, stored', { 'cache-status': 'ExampleCache; fwd=uri-miss; stored' }, 'miss'],
  ['RFC 9211: vary-miss', { 'cache-status': 'ExampleCache; fwd=vary-miss' }, 'miss'],
  ['RFC 9211: stale revalidated upstream', { 'cache-status': 'ExampleCache; fwd=stale; fwd-status=304' }, 'miss'],
  ['RFC 9211: hit with negative ttl is stale', { 'cache-status': 'ExampleCache; hit; ttl=-412' }, 'stale'],
  ['RFC 9211: two layers, the one near the user hit', { 'cache-status': 'OriginCache; hit; ttl=1100, "CDN Company Here"; hit; ttl=545' }, 'hit'],
  ['RFC 9211: origin cache miss, CDN hit', { 'cache-status': 'OriginCache; fwd=uri-miss; stored, CDN; hit' }, 'hit'],
  ['RFC 9211: bypass', { 'cache-status': 'ExampleCache; fwd=bypass' }, 'bypass'],
  ['RFC 9211: method not cacheable', { 'cache-status': 'ExampleCache; fwd=method' }, 'bypass'],
  ['RFC 9211: quoted name with comma', { 'cache-status': '"Cache, Inc"; fwd=miss' }, 'miss'],
  ['RFC 9211: detail only says nothing', { 'cache-status': 'ExampleCache; detail=MEMORY' }, 'unknown'],
  // CloudFront
  ['CloudFront hit', { 'x-cache': 'Hit from cloudfront' }, 'hit'],
  ['CloudFront miss', { 'x-cache': 'Miss from cloudfront' }, 'miss'],
  ['CloudFront refresh hit', { 'x-cache': 'RefreshHit from cloudfront' }, 'hit'],
  ['CloudFront error says nothing', { 'x-cache': 'Error from cloudfront' }, 'unknown'],
  // Fastly
  ['Fastly shield miss, edge hit', { 'x-cache': 'MISS, HIT', 'x-cache-hits': '0, 1' }, 'hit'],
  ['Fastly both miss', { 'x-cache': 'MISS, MISS' }, 'miss'],
  // Two proxies, two headers (undici gives an array in arrival order)
  ['repeated X-Cache: MISS then HIT', { 'x-cache': ['MISS', 'HIT'] }, 'hit'],
  ['repeated X-Cache: MISS twice', { 'x-cache': ['MISS from a', 'MISS from b'] }, 'miss'],
  // Akamai
  ['Akamai TCP_HIT', { 'x-cache': 'TCP_HIT from a23-45-67-89.deploy.akamaitechnologies.com (AkamaiGHost/10.9.0-1)' }, 'hit'],
  ['Akamai TCP_MEM_HIT', { 'x-cache': 'TCP_MEM_HIT from a1.akamai' }, 'hit'],
  ['Akamai TCP_MISS', { 'x-cache': 'TCP_MISS from a1.akamai' }, 'miss'],
  ['Akamai TCP_REFRESH_MISS', { 'x-cache': 'TCP_REFRESH_MISS from a1.akamai' }, 'miss'],
  // Cloudflare
  ['Cloudflare HIT', { 'cf-cache-status': 'HIT' }, 'hit'],
  ['Cloudflare EXPIRED', { 'cf-cache-status': 'EXPIRED' }, 'miss'],
  ['Cloudflare DYNAMIC', { 'cf-cache-status': 'DYNAMIC' }, 'bypass'],
  ['Cloudflare REVALIDATED', { 'cf-cache-status': 'REVALIDATED' }, 'hit'],
  ['Cloudflare UPDATING', { 'cf-cache-status': 'UPDATING' }, 'stale'],
  // nginx $upstream_cache_status
  ['nginx STALE', { 'x-cache-status': 'STALE' }, 'stale'],
  ['nginx BYPASS', { 'x-cache-status': 'BYPASS' }, 'bypass'],
  ['nginx MISS', { 'x-cache-status': 'MISS' }, 'miss'],
  // Varnish
  ['Varnish hit: two ids', { 'x-varnish': '32770 32768', age: '12' }, 'hit'],
  ['Varnish miss: one id', { 'x-varnish': '32770', age: '0' }, 'miss'],
  // Age alone
  ['Age 0 is a miss', { age: '0' }, 'miss'],
  ['Age 120 is a hit', { age: '120' }, 'hit'],
  ['Age 1e3 is not delta-seconds', { age: '1e3' }, 'unknown'],
  ['Age 0x10 is not delta-seconds', { age: '0x10' }, 'unknown'],
  ['Age -5 is not delta-seconds', { age: '-5' }, 'unknown'],
  ['Age empty', { age: '' }, 'unknown'],
  // Not stored
  ['Cache-Control: no-store', { 'cache-control': 'no-store' }, 'bypass'],
  ['Cache-Control: private, max-age=0', { 'cache-control': 'private, max-age=0' }, 'bypass'],
  ['Cache-Control: public says nothing', { 'cache-control': 'public, max-age=60' }, 'unknown'],
  // Precedence
  ['Cache-Status beats X-Cache', { 'cache-status': 'Edge; fwd=uri-miss', 'x-cache': 'HIT' }, 'miss'],
  ['an explicit header beats Age', { 'x-cache': 'MISS', age: '30' }, 'miss'],
  ['nothing at all', {}, 'unknown'],
];

test(`cache status from ${FORMS.length} header forms`, () => {
  assert.ok(FORMS.length >= 30);
  const wrong = FORMS.filter(([, headers, want]) => cacheStatusFromHeaders(headers, {}) !== want).map(([name, headers, want]) => `${name}: got ${cacheStatusFromHeaders(headers, {})}, want ${want} (${JSON.stringify(headers)})`);
  assert.deepEqual(wrong, []);
});

test('each detector reads only the headers it declares (troupe bench compares just those between responses)', () => {
  const read = new Map<string, Set<string>>();
  for (const [, headers] of FORMS) {
    for (const detector of CACHE_DETECTORS) {
      const seen = read.get(detector.name) ?? new Set<string>();
      read.set(detector.name, seen);
      // Every key the detector looks up, present or not, is recorded.
      const watched = new Proxy(headers, { get: (target, key) => (typeof key === 'string' && seen.add(key), Reflect.get(target, key)) });
      detector.detect({ headers: watched, bodyText: '{"cache":"HIT"}', detection: { jsonPath: 'cache' } });
    }
  }
  for (const detector of CACHE_DETECTORS) assert.deepEqual([...read.get(detector.name)!].sort(), [...detector.headers].sort(), detector.name);
  assert.deepEqual([...CACHE_HEADER_NAMES].sort(), ['age', 'cache-control', 'cache-status', 'cf-cache-status', 'x-cache', 'x-cache-status', 'x-proxy-cache', 'x-varnish']);
});

test('a configured header is the only evidence, a configured detector list sets the order', () => {
  const detection = { header: { name: 'X-Edge', hit: ['yes'], miss: ['no'] } };
  assert.equal(cacheStatusFromHeaders({ 'x-edge': 'no', 'x-cache': 'HIT' }, detection), 'miss');
  assert.equal(cacheStatusFromHeaders({ 'x-cache': 'HIT' }, detection), 'unknown', 'the configured header is absent: nothing else is guessed');
  assert.equal(cacheStatusFromHeaders({ 'x-edge': ['no', 'yes'] }, detection), 'hit', 'a repeated configured header is layers too');
  assert.equal(cacheStatusFromHeaders({ age: '30', 'x-cache': 'MISS' }, { detectors: ['age', 'x-cache'] }), 'hit');
  assert.equal(cacheStatusFromHeaders({ age: '30' }, { detectors: ['x-cache'] }), 'unknown');
  assert.equal(classifyCache({ headers: { age: '0' }, bodyText: '{"meta":{"cache":"HIT"}}', detection: { jsonPath: 'meta.cache' } }), 'hit', 'the configured JSON field beats Age');
  assert.equal(statusFromCacheStatusHeader(''), undefined);
  assert.ok(CACHE_DETECTOR_NAMES.includes('cache-status') && CACHE_DETECTOR_NAMES.includes('age'));
});

test('an unknown detector name in the config is refused, listing the valid ones', async () => {
  const project = await writeProject({ config: 'target: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: /ok }\ncache: { detectors: [age, x-cahce] }\n', personas: { 'p.yaml': 'name: Pat\n' }, locations: locationsCsv(1) });
  await assert.rejects(loadInputs({ cwd: project, overrides: {} }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'E_CONFIG');
    assert.match(err.message, /cache\.detectors\[1\]: got "x-cahce", expected a cache detector: cache-status, x-cache/);
    return true;
  });
});

test('against a cache that sends only Age, the observed hit rate equals the cache\'s own count', async (t) => {
  // A shared cache in front of an origin: it stores each path on the first request (Age: 0, a miss) and
  // serves later ones from storage. Age is the resident time in seconds rounded up — RFC 9111 §4.2.3
  // lets a cache overestimate age, never underestimate it — so a stored copy never reads 0.
  const stored = new Map<string, number>();
  let hits = 0;
  let misses = 0;
  const server = createServer((req, res) => {
    const at = stored.get(req.url!);
    if (at === undefined) {
      stored.set(req.url!, performance.now());
      misses++;
      res.writeHead(200, { age: '0', 'content-type': 'application/json' });
    } else {
      hits++;
      res.writeHead(200, { age: String(Math.max(1, Math.ceil((performance.now() - at) / 1000))), 'content-type': 'application/json' });
    }
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const project = await writeProject({
    config: `target: ${url}\npersonas: personas\nlocations: locations.csv\nout: ${JSON.stringify(await tempDir())}\nconcurrency: 1\niterations: 3\nrequest: { method: GET, path: "/{{location.id}}" }\n`,
    personas: { 'a.yaml': 'name: Ana\n', 'b.yaml': 'name: Bo\n' },
    locations: locationsCsv(7),
  });
  const inputs = await loadInputs({ cwd: project, overrides: {} });
  const run = await executeRun({ inputs, progress: { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false } });
  const cache = run.summary.global.cache;
  assert.equal(hits + misses, 42);
  assert.deepEqual({ hits: cache.hit, misses: cache.miss }, { hits, misses });
  assert.equal(cache.hitRate, Number((hits / (hits + misses)).toFixed(6)), "hit rate, rounded as summary.json stores it");
});
