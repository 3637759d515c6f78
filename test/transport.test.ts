/**
 * Transport (issue 11): HTTP/2 by ALPN with the protocol on every result line, a custom CA and a
 * client certificate (mTLS: works with the right certificate, fails clearly without), and proxies
 * (`proxy:` and HTTPS_PROXY / HTTP_PROXY / NO_PROXY) through a loopback proxy that counts what passed,
 * with the proxy's credentials redacted everywhere. In-process runs against node:http2 TLS servers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultRecord } from '../src/engine/records.js';
import { run, validate, TroupeError } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { startHttp2Api } from './helpers/http2-api.js';
import { startTestProxy } from './helpers/proxy.js';
import { startCountingServer } from './helpers/servers.js';
import { makeTestPki, type TestPki } from './helpers/tls-certs.js';

const PERSONA = `name: Reader
journey:
  - name: hello
    request: { method: GET, path: /hello }
    expect: [{ status: 200 }]
`;

/** A project whose config is `config` plus the lines every run here shares; the PKI in ./pki. */
async function project(config: string, persona = PERSONA): Promise<string> {
  const dir = await tempDir('troupe-transport-');
  await mkdir(join(dir, 'personas'));
  await writeFile(join(dir, 'personas', 'reader.yaml'), persona);
  await writeFile(join(dir, 'locations.csv'), 'id\nl1\nl2\nl3\n');
  await writeFile(join(dir, 'troupe.config.yaml'), `personas: personas\nlocations: locations.csv\nout: out\nconcurrency: 2\niterations: 2\n${config}`);
  return dir;
}

async function results(runDir: string): Promise<ResultRecord[]> {
  return (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
}

/** Every file of a run directory, as text (to look for a credential). */
async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'latin1');
  }
  return text;
}

let pki: TestPki | null = null;
async function testPki(): Promise<TestPki | null> {
  pki ??= makeTestPki(await tempDir('troupe-pki-'));
  return pki;
}

test('http2: true gets h2 by ALPN and every result line says protocol h2; without it, http/1.1', async (t) => {
  const certs = await testPki();
  if (!certs) return t.skip('openssl is not installed');
  const server = await startHttp2Api(certs, { allowHTTP1: true });
  t.after(() => server.close());
  const tls = `target: ${server.url}\ntls: { ca: ${JSON.stringify(certs.caCert)} }\n`;

  const h2 = await run({ cwd: await project(`${tls}http2: true\n`) });
  const h2Lines = await results(h2.runDir);
  console.log(`http2: ${h2Lines.length} lines, protocols ${[...new Set(h2Lines.map((l) => l.protocol))].join(',')}, server ${JSON.stringify([...server.stats.byProtocol])}`);
  assert.equal(h2Lines.length, 6);
  assert.ok(h2Lines.every((l) => l.ok && l.protocol === 'h2'), 'every line h2 and ok');
  assert.equal(server.stats.byProtocol.get('h2'), 6, 'the server saw h2 streams');

  const h1 = await run({ cwd: await project(tls) });
  const h1Lines = await results(h1.runDir);
  assert.ok(h1Lines.every((l) => l.ok && l.protocol === 'http/1.1'), 'without http2: http/1.1 on every line');
  assert.equal(server.stats.byProtocol.get('http/1.1'), 6);
});

test('mTLS: the client certificate from tls.cert/tls.key is presented; without it every request fails as tls, clearly', async (t) => {
  const certs = await testPki();
  if (!certs) return t.skip('openssl is not installed');
  const server = await startHttp2Api(certs, { allowHTTP1: true, requireClientCert: true });
  t.after(() => server.close());
  const base = `target: ${server.url}\n`;

  const withCert = await run({ cwd: await project(`${base}tls: { ca: pki/ca.pem, cert: pki/client.pem, key: pki/client.key }\n`).then(async (dir) => {
    await mkdir(join(dir, 'pki'));
    for (const name of ['ca.pem', 'client.pem', 'client.key']) await writeFile(join(dir, 'pki', name), await readFile(join(certs.dir, name)));
    return dir;
  }) });
  assert.equal(withCert.summary.global.ok, 6, 'paths relative to the config file; all requests succeed');
  assert.deepEqual([...new Set(server.stats.clients)], ['troupe-client'], 'the server saw our client certificate');
  const manifest = await readFile(join(withCert.runDir, 'run.json'), 'utf8');
  assert.ok(!manifest.includes('PRIVATE KEY'), 'the key itself never reaches run.json');

  const without = await run({ cwd: await project(`${base}tls: { ca: ${JSON.stringify(certs.caCert)} }\n`) });
  const lines = await results(without.runDir);
  console.log(`mTLS without a certificate: ${lines[0]!.error}: ${lines[0]!.message}`);
  assert.equal(without.summary.global.ok, 0);
  assert.ok(lines.every((l) => l.error === 'tls'), `every request is a tls error, got ${[...new Set(lines.map((l) => l.error))].join(', ')}`);
  assert.match(lines[0]!.message ?? '', /client certificate.*tls\.cert/i, 'the message says what to do');
});

test('tls files are checked at load: a missing file or a key that does not match its certificate is exit 2 naming the key', async (t) => {
  const certs = await testPki();
  if (!certs) return t.skip('openssl is not installed');
  const missing = await validate({ cwd: await project('target: https://127.0.0.1:1\ntls: { ca: nowhere/ca.pem }\n') }).catch((e: unknown) => e);
  assert.ok(missing instanceof TroupeError && missing.exitCode === 2);
  assert.match(missing.message, /troupe\.config\.yaml, at tls\.ca: "nowhere\/ca\.pem" not found/);

  const mismatch = await validate({ cwd: await project(`target: https://127.0.0.1:1\ntls: { cert: ${JSON.stringify(certs.clientCert)}, key: ${JSON.stringify(certs.serverKey)} }\n`) }).catch((e: unknown) => e);
  assert.ok(mismatch instanceof TroupeError && mismatch.exitCode === 2);
  assert.match(mismatch.message, /at tls: the certificate, key or CA cannot be used \(.*\); expected PEM files where key matches cert/);

  const half = await validate({ cwd: await project(`target: https://127.0.0.1:1\ntls: { cert: ${JSON.stringify(certs.clientCert)} }\n`) }).catch((e: unknown) => e);
  assert.match((half as Error).message, /has cert without key/);
});

test('proxy: routes every request through the proxy, with its credentials as Proxy-Authorization, redacted everywhere', async (t) => {
  const target = await startCountingServer({ delayMs: 0, body: { ok: true } });
  const proxy = await startTestProxy({ credentials: 'puser:pw-s3cret-9' });
  t.after(() => Promise.all([target.close(), proxy.close()]));
  const dir = await project(`target: ${target.url}\nproxy: http://puser:pw-s3cret-9@127.0.0.1:${proxy.port}\n`);
  const result = await run({ cwd: dir });
  const tunnels = proxy.stats.tunnels.get(`127.0.0.1:${target.port}`) ?? 0;
  console.log(`proxy: ${result.summary.global.ok} ok, ${tunnels} tunnel(s), ${proxy.stats.refused} refused, target saw ${target.requests}`);
  assert.equal(result.summary.global.ok, 6);
  assert.ok(tunnels >= 1 && tunnels <= 6, "CONNECT tunnels to the target (at most one per request)");
  assert.equal(target.requests, 6);
  assert.equal(proxy.stats.refused, 0);
  assert.ok(proxy.stats.authorizations.every((a) => a === `Basic ${Buffer.from('puser:pw-s3cret-9').toString('base64')}`));
  const written = await allText(result.runDir);
  assert.ok(!written.includes('pw-s3cret-9'), 'the proxy password is nowhere in the run directory');
  assert.ok(!written.includes('puser'), 'nor the proxy user');
  assert.match(await readFile(join(result.runDir, 'run.json'), 'utf8'), /"http": "http:\/\/redacted:redacted@127\.0\.0\.1:\d+\/"/);

  // A proxy that refuses the credentials: every request fails, and the message does not leak them.
  const wrong = await run({ cwd: await project(`target: ${target.url}\nproxy: http://puser:not-it@127.0.0.1:${proxy.port}\n`) });
  assert.equal(wrong.summary.global.ok, 0);
  assert.ok(!(await allText(wrong.runDir)).includes('not-it'));
  // …and each failure is the proxy's, with its status: `proxy`, not `unknown`.
  const refused = await results(wrong.runDir);
  assert.equal(refused.length, 6);
  for (const line of refused) {
    assert.equal(line.error, 'proxy');
    assert.match(String(line.message), /Proxy response \(407\)/);
  }
});

test('HTTPS_PROXY from the environment tunnels https (h2 inside the tunnel); NO_PROXY bypasses it; proxy: none ignores it', async (t) => {
  const certs = await testPki();
  if (!certs) return t.skip('openssl is not installed');
  const server = await startHttp2Api(certs);
  const proxy = await startTestProxy();
  t.after(() => Promise.all([server.close(), proxy.close()]));
  const config = `target: ${server.url}\nhttp2: true\ntls: { ca: ${JSON.stringify(certs.caCert)} }\n`;
  const key = `127.0.0.1:${server.port}`;

  const viaEnv = await run({ cwd: await project(config), env: { HTTPS_PROXY: proxy.url } });
  assert.equal(viaEnv.summary.global.ok, 6);
  assert.ok((await results(viaEnv.runDir)).every((l) => l.protocol === 'h2'), 'ALPN h2 through the CONNECT tunnel');
  const tunnels = proxy.stats.tunnels.get(key) ?? 0;
  assert.ok(tunnels >= 1, 'through the proxy');

  const bypassed = await run({ cwd: await project(config), env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
  assert.equal(bypassed.summary.global.ok, 6);
  assert.equal(proxy.stats.tunnels.get(key), tunnels, 'NO_PROXY: no new tunnel');

  const ignored = await run({ cwd: await project(`${config}proxy: none\n`), env: { HTTPS_PROXY: proxy.url } });
  assert.equal(ignored.summary.global.ok, 6);
  assert.equal(proxy.stats.tunnels.get(key), tunnels, 'proxy: none: no new tunnel');

  const unreachable = await run({ cwd: await project(config), env: { HTTPS_PROXY: 'http://u:hidden-pw@127.0.0.1:1' } }).catch((e: unknown) => e);
  assert.ok(unreachable instanceof TroupeError && unreachable.exitCode === 3, 'an unreachable proxy is exit 3 before the run');
  assert.match(unreachable.message, /its proxy http:\/\/redacted:redacted@127\.0\.0\.1:1\/ does not answer/);
  assert.ok(!unreachable.message.includes('hidden-pw'));
});
