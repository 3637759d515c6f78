/** Journeys end to end through the CLI: captures feed later steps, checks are counted per step and persona, onFail. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultRecord } from '../src/engine/records.js';
import type { RunSummary } from '../src/run-dir/types.js';
import { onlyRunDir, tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { run as runInProcess, TroupeError, validate } from '../src/index.js';

/** login → token; items (needs the token) → ids; items/:id (needs the token) → the item. */
async function startShop(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(value);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
      };
      const authorized = req.headers.authorization === 'Bearer tok-jo';
      if (req.url === '/login' && req.method === 'POST') {
        const user = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { user?: string }).user;
        return send(200, { token: `tok-${user}` }, { 'x-session': 's-42' });
      }
      if (req.url === '/items') return authorized ? send(200, { items: [{ id: 'a1' }, { id: 'b2' }, { id: 'c3' }] }) : send(401, { error: 'no token' });
      const item = /^\/items\/(\w+)$/.exec(req.url ?? '');
      if (item) return authorized ? send(200, { item: { id: item[1], name: `widget ${item[1]}` }, owner: 'jo' }) : send(401, { error: 'no token' });
      send(404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const JO = `name: Jo
params: { user: jo }
journey:
  - name: login
    request: { method: POST, path: /login, json: { user: "{{persona.params.user}}" } }
    expect: [{ status: 200 }, { json: token, matches: "^tok-" }]
    capture: { token: { json: token }, session: { header: X-Session } }
  - name: list
    think: 5ms
    request: { path: /items, headers: { Authorization: "Bearer {{vars.token}}" } }
    expect: [{ status: 200 }, { json: items, minCount: 3 }, { json: items, minCount: 10 }]
    capture: { id: { json: "items[1].id" } }
    onFail: continue
  - name: detail
    request: { path: "/items/{{vars.id}}", headers: { Authorization: "Bearer {{vars.token}}", X-Session: "{{vars.session}}" } }
    expect: [{ status: 200 }, { json: item.id, equals: b2 }, { contains: widget }, { latency: 5s }, { json: owner, equals: jo }]
`;

// Logs in with the wrong expectation and stops there: its later steps never run.
const MAX = `name: Max
params: { user: max }
journey:
  - name: login
    request: { method: POST, path: /login, json: { user: "{{persona.params.user}}" } }
    expect: [{ status: 201 }]
    capture: { token: { json: token } }
  - name: list
    request: { path: /items, headers: { Authorization: "Bearer {{vars.token}}" } }
`;

test('a three-step journey captures a token and an id and uses them; checks are counted per step and persona', async (t) => {
  const shop = await startShop();
  t.after(() => shop.close());
  const dir = await writeProject({
    config: `name: shop\ntarget: ${shop.url}\npersonas: personas\nlocations: locations.csv\nconcurrency: 2\n`,
    personas: { 'jo.yaml': JO, 'max.yaml': MAX },
    locations: 'id\nx\ny\n',
  });
  const out = await tempDir('troupe-journey-');
  // In-process: the subject is what the journey did and what summary.json counts.
  const result = await runInProcess({ cwd: dir, out });
  assert.equal(result.status, 'complete');
  const runDir = await onlyRunDir(out);
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const results = (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
  console.log(`checks: ${JSON.stringify(summary.checks)}`);

  // The captured token and id reached step 3 (the server answers 401 without the token).
  assert.equal(shop.seen.filter((s) => s === 'GET /items/b2 Bearer tok-jo').length, 2, shop.seen.join('\n'));
  const detail = results.filter((r) => r.persona === 'Jo' && r.step === 'detail');
  assert.equal(detail.length, 2);
  assert.ok(detail.every((r) => r.ok && r.checks!.every((c) => c.ok)), JSON.stringify(detail));

  const steps = summary.checks!.steps;
  assert.deepEqual(steps['list']!['json items count >= 10'], { passed: 0, failed: 2, firstFailure: '3 item(s)' });
  assert.deepEqual(steps['list']!['json items count >= 3'], { passed: 2, failed: 0 });
  assert.deepEqual(steps['detail']!['json item.id equals "b2"'], { passed: 2, failed: 0 });
  assert.deepEqual(steps['login']!['capture session'], { passed: 2, failed: 0 });
  // login: Jo passes 2 checks + 2 captures per visit; Max fails status 201 and still captures the token.
  assert.deepEqual(steps['login']!['status 201'], { passed: 0, failed: 2, firstFailure: 'status 200' });
  assert.deepEqual(summary.checks!.personaSteps['Jo'], { login: { passed: 8, failed: 0 }, list: { passed: 6, failed: 2 }, detail: { passed: 10, failed: 0 } });
  assert.deepEqual(summary.checks!.personas['Jo'], { passed: 24, failed: 2 });
  assert.deepEqual(summary.checks!.personas['Max'], { passed: 2, failed: 2 });
  // onFail: stop (the default) ended Max's journeys after login; Jo's list failure had onFail: continue.
  assert.equal(results.filter((r) => r.persona === 'Max').length, 2);
  assert.ok(results.filter((r) => r.persona === 'Max').every((r) => r.step === 'login'));
  assert.match(results.find((r) => r.persona === 'Max')!.message!, /check failed: status 201/);
  // Metrics per step as well as per persona.
  assert.equal(summary.steps['detail']!.requests, 2);
  assert.equal(summary.steps['login']!.requests, 4);
  assert.equal(summary.personas['Jo']!.requests, 6);
  // A work item is one journey.
  assert.equal(summary.completed, 4);
});

test('a {{vars.NAME}} that no earlier step captures is an input error (exit 2)', async () => {
  const dir = await writeProject({
    config: 'name: bad\ntarget: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\n',
    personas: { 'p.yaml': 'name: P\njourney:\n  - name: one\n    request: { path: "/x/{{vars.tokn}}" }\n' },
    locations: 'id\nx\n',
  });
  const error = await validate({ cwd: dir }).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TroupeError && error.exitCode === 2, String(error));
  assert.match(error.message, /journey\[0\]\.request\.path.*no earlier step captures "tokn"/);
});
