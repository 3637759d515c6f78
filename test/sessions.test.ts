/**
 * Virtual users' sessions against the realistic API (issue 11, must-show 1): a persona's setup logs in
 * once per VU and its token and session cookie serve every visit; a run-level setup once for the run;
 * the open model's `session: reuse` pool bounds logins; failing setups are reported apart and retried
 * or stopped as configured; cookies never reach the run directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultRecord } from '../src/engine/records.js';
import type { RunManifest, RunSummary } from '../src/run-dir/types.js';
import { summarySchema } from '../src/run-dir/schemas.js';
import { run, TroupeError, validate } from '../src/index.js';
import { onlyRunDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { startRealisticApi } from './helpers/realistic-api.js';
import { walk } from './helpers/run-files.js';
import { forms, searchable } from './helpers/secret-scan.js';

const LOGIN = (user: string, password = 'secret') => `
    request: { method: POST, path: /login, json: { user: "${user}", password: ${password} } }
    expect: [{ status: 200 }]
    capture: { token: { json: token }, cookie: { header: set-cookie } }`;

const SHOPPER = `name: shopper
params: { user: shopper }
setup:
  - name: login${LOGIN('{{persona.params.user}}')}
journey:
  - name: me
    request: { path: /api/me, headers: { Authorization: "Bearer {{vars.token}}" } }
    expect: [{ status: 200 }, { json: user, equals: shopper }]
  - name: cart
    request: { path: /api/cart }
    expect: [{ status: 200 }, { json: items, minCount: 1 }]
  - name: as-admin
    request: { path: /api/me, headers: { Authorization: "Bearer {{setup.token}}" } }
    expect: [{ status: 200 }, { json: user, equals: admin }]
  # The session cookie in a URL: only its masking keeps it out of results.ndjson.
  - name: probe
    request: { path: /nowhere, query: { c: "{{vars.cookie}}" } }
    expect: [{ status: 404 }]
teardown:
  - name: logout
    request: { method: POST, path: /logout, headers: { Authorization: "Bearer {{vars.token}}" } }
    expect: [{ status: 204 }]
`;

const RUN_LEVEL = `setup:
  - name: admin-login${LOGIN('admin')}
teardown:
  - name: admin-logout
    request: { method: POST, path: /logout, headers: { Authorization: "Bearer {{setup.token}}" } }
    expect: [{ status: 204 }]
`;

async function results(runDir: string): Promise<ResultRecord[]> {
  const text = await readFile(join(runDir, 'results.ndjson'), 'utf8');
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ResultRecord);
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

test('closed model: one login per VU and one for the run; every authenticated call passes, the cookie-only one too; cookies stay out of the run directory', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const project = await writeProject({
    config: `target: ${api.url}\nconcurrency: 4\niterations: 3\nlocations: locations.csv\nout: out\n${RUN_LEVEL}`,
    personas: { 'shopper.yaml': SHOPPER },
    locations: locationsCsv(3),
  });
  const result = await run({ cwd: project });
  const s = result.summary;
  assert.equal(result.status, 'complete');
  assert.equal(result.passed, true);
  summarySchema.parse(s);

  // 9 visits over 4 VUs: each VU logged in once, the run-level setup once.
  assert.equal(api.stats.loginsByUser.get('shopper'), 4);
  assert.equal(api.stats.loginsByUser.get('admin'), 1);
  assert.equal(api.stats.logins, 5);
  assert.equal(api.stats.failedLogins, 0);
  // Teardowns: one logout per VU at its end, one for the run after the load.
  assert.equal(api.stats.logouts, 5);

  // Every visit's authenticated calls passed: the Bearer one, the cookie-only one, the shared admin token.
  assert.equal(s.completed, 9);
  assert.equal(s.global.requests, 36);
  assert.equal(s.global.errors, 0, JSON.stringify(s.global.errorCodes));
  assert.equal(api.stats.byPath.get('/api/cart'), 9);
  assert.deepEqual(s.checks?.personas['shopper'], { passed: 9 * 7, failed: 0 });

  // Setup and teardown are reported apart and are not in the load figures.
  assert.deepEqual(Object.keys(s.steps).sort(), ['as-admin', 'cart', 'me', 'probe']);
  const lines = await results(result.runDir);
  assert.equal(lines.length, 36);
  assert.ok(!lines.some((l) => /login|logout/.test(l.step)));
  assert.equal(s.setup?.sessions, 5);
  assert.equal(s.setup?.requests, 5);
  assert.equal(s.setup?.failed, 0);
  assert.deepEqual(s.setup?.byPersona, { shopper: { sessions: 4, failed: 0 } });
  assert.deepEqual(s.setup?.run, { ok: true });
  assert.equal(s.teardown?.sessions, 5);
  assert.equal(s.teardown?.errors, 0);

  // The probe sent the cookie in its URL (the server saw it); the run directory has it masked.
  const probe = lines.find((l) => l.step === 'probe')!;
  assert.match(probe.url, /c=session%3D%5Bredacted%5D|c=session%3D\[redacted\]/);
  const files = await walk(result.runDir);
  assert.ok(files.includes('run.json') && files.includes('summary.json'), files.join());
  const leaks: string[] = [];
  for (let n = 1; n <= 5; n++) {
    for (const file of files) {
      const bytes = await readFile(join(result.runDir, file));
      for (const part of searchable(file, bytes)) {
        for (const [form, needle] of forms(`sid-${n}`)) if (part.includes(needle)) leaks.push(`sid-${n} (${form}) in ${file}`);
      }
    }
  }
  assert.deepEqual(leaks, []);
});

test('open model: arrivals share a pool of sessions with session: reuse (logins <= pool), and log in each with a fresh one', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const persona = (name: string, extra: string) =>
    `name: ${name}\n${extra}setup:\n  - name: login${LOGIN(name)}\njourney:\n  - name: cart\n    request: { path: "/api/cart?delay=30" }\n    expect: [{ status: 200 }]\n`;
  const project = await writeProject({
    config: `target: ${api.url}\nlocations: locations.csv\nout: out\nload:\n  maxInFlight: 50\n  phases: [{ duration: 600ms, rate: 50 }]\n`,
    personas: { 'a.yaml': persona('pooled', 'weight: 3\nsession: reuse\nsessionPool: 3\n'), 'b.yaml': persona('fresh', '') },
    locations: locationsCsv(2),
  });
  const result = await run({ cwd: project });
  const s = result.summary;
  const started = (name: string) => s.personas[name]?.requests ?? 0;
  t.diagnostic(`arrivals: pooled ${started('pooled')}, fresh ${started('fresh')}; logins ${JSON.stringify([...api.stats.loginsByUser])}`);
  assert.equal(s.global.errors, 0, JSON.stringify(s.global.errorCodes));
  // Enough pooled arrivals overlapped (30 ms each at 50/s) that an unbounded pool would have logged in more.
  assert.ok(started('pooled') > 6, `pooled arrivals: ${started('pooled')}`);
  assert.ok((api.stats.loginsByUser.get('pooled') ?? 0) <= 3, `pooled logins: ${api.stats.loginsByUser.get('pooled')}`);
  assert.ok((api.stats.loginsByUser.get('pooled') ?? 0) >= 1);
  assert.equal(api.stats.loginsByUser.get('fresh') ?? 0, started('fresh'));
  assert.equal(s.setup?.byPersona['pooled']?.sessions, api.stats.loginsByUser.get('pooled'));
  assert.equal(s.setup?.requests, api.stats.logins);
});

test('a failing setup is retried as configured, reported apart, and then stops the VU (every VU stopped: exit 1, E_SETUP) or continues', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const failing = (then: string) =>
    `name: intruder\nsetupFailure: { retries: 2, then: ${then} }\nsetup:\n  - name: login${LOGIN('intruder', 'wrong')}\njourney:\n  - name: me\n    request: { path: /api/me, headers: { Authorization: "Bearer {{vars.token}}" } }\n`;
  const config = `target: ${api.url}\nconcurrency: 2\niterations: 2\nlocations: locations.csv\nout: out\n`;

  const stopping = await writeProject({ config, personas: { 'p.yaml': failing('stop') }, locations: locationsCsv(2) });
  const err = await run({ cwd: stopping }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof TroupeError, String(err));
  assert.equal(err.code, 'E_SETUP');
  assert.equal(err.exitCode, 1);
  assert.match(err.message, /every virtual user stopped: its setup failed .*first failure: persona "intruder", VU \d: login: /);
  // 2 VUs × (1 + 2 retries) logins, nothing else sent.
  assert.equal(api.stats.failedLogins, 6);
  assert.equal(api.stats.byPath.get('/api/me'), undefined);
  const runDir = await onlyRunDir(join(stopping, 'out'));
  const summary = await readJson<RunSummary>(join(runDir, 'summary.json'));
  assert.equal(summary.global.requests, 0);
  assert.equal(summary.setup?.sessions, 2);
  assert.equal(summary.setup?.failed, 2);
  assert.equal(summary.setup?.stopped, 2);
  assert.equal(summary.setup?.attempts, 6);
  assert.equal(summary.setup?.requests, 6);
  assert.deepEqual(summary.setup?.errorCodes, { http_4xx: 6 });
  const manifest = await readJson<RunManifest>(join(runDir, 'run.json'));
  assert.equal(manifest.status, 'failed');
  assert.match(manifest.reason ?? '', /every virtual user stopped/);

  const continuing = await writeProject({ config, personas: { 'p.yaml': failing('continue') }, locations: locationsCsv(2) });
  const before = api.stats.failedLogins;
  const result = await run({ cwd: continuing });
  assert.equal(api.stats.failedLogins - before, 6);
  // The visits ran without a token: their 401s are the load's errors; the setup's are not.
  assert.equal(result.summary.global.requests, 4);
  assert.deepEqual(result.summary.global.errorCodes, { http_4xx: 4 });
  assert.equal(result.summary.setup?.failed, 2);
  assert.equal(result.summary.setup?.stopped, 0);
});

test('a failed run-level setup stops the run before any load, with E_SETUP (exit 1) and the run directory saying why', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const project = await writeProject({
    config: `target: ${api.url}\nlocations: locations.csv\nout: out\nsetup:\n  - name: admin-login${LOGIN('admin', 'wrong')}\n`,
    personas: { 'p.yaml': 'name: p\njourney:\n  - name: me\n    request: { path: /api/me, headers: { Authorization: "Bearer {{setup.token}}" } }\n' },
    locations: locationsCsv(2),
  });
  const err = await run({ cwd: project }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof TroupeError && err.code === 'E_SETUP' && err.exitCode === 1, String(err));
  assert.match(err.message, /^the run-level setup failed, so no load was sent: admin-login: HTTP 401/);
  assert.equal(api.stats.failedLogins, 1);
  assert.equal(api.stats.byPath.get('/api/me'), undefined);
  const runDir = await onlyRunDir(join(project, 'out'));
  const summary = await readJson<RunSummary>(join(runDir, 'summary.json'));
  assert.deepEqual(summary.setup?.run, { ok: false, message: 'admin-login: HTTP 401' });
  assert.equal((await readJson<RunManifest>(join(runDir, 'run.json'))).status, 'failed');
});

test('session keys are validated like the rest: key path, value, expectation', async () => {
  const cases: Array<[persona: string, config: string, message: RegExp]> = [
    ['setupFailure: { retries: -1 }\nsetup: [{ name: s, request: { path: /a } }]', '', /p\.yaml, at setupFailure\.retries: got -1, expected an integer >= 0/],
    ['setupFailure: { then: maybe }\nsetup: [{ name: s, request: { path: /a } }]', '', /p\.yaml, at setupFailure\.then: got "maybe", expected .*stop.*continue/],
    ['setupFailure: { retries: 1 }', '', /p\.yaml, at setupFailure: setupFailure without setup:/],
    ['session: sometimes', '', /p\.yaml, at session: got "sometimes", expected .*fresh.*reuse/],
    ['sessionPool: 5', '', /p\.yaml, at sessionPool: got sessionPool 5 with session: fresh \(the default\); expected session: reuse/],
    ['session: reuse\nsessionPool: 0', '', /p\.yaml, at sessionPool: got 0, expected an integer >= 1/],
    ['setup: [{ name: s, request: { path: "/a/{{location.id}}" } }]', '', /p\.yaml, at setup\[0\]\.request\.path: placeholder \{\{location\.id\}\}: a persona's setup runs outside any visit: it has no location/],
    ['teardown: [{ name: t, request: { path: "/a/{{vars.token}}" } }]', '', /p\.yaml, at teardown\[0\]\.request\.path: placeholder \{\{vars\.token\}\}: no earlier step captures "token"/],
    ['setup: [{ name: s, request: { path: /a }, capture: { token: { json: t } } }]\njourney: [{ name: j, request: { path: "/b/{{vars.tokn}}" } }]', '', /at journey\[0\]\.request\.path: placeholder \{\{vars\.tokn\}\}: no earlier step captures "tokn"; captured so far: token/],
    ['journey: [{ name: j, request: { path: "/b/{{setup.key}}" } }]', '', /at journey\[0\]\.request\.path: placeholder \{\{setup\.key\}\}: the run-level setup: captures no "key"; add a setup: to the config/],
    ['', 'setup: [{ name: s, request: { path: "/a/{{persona.name}}" } }]\n', /troupe\.config\.yaml, at setup\[0\]\.request\.path: placeholder \{\{persona\.name\}\}: the run-level setup runs outside any visit: it has no persona/],
    ['', 'setup: [{ name: s, request: { path: "/a/{{setup.x}}" } }]\n', /at setup\[0\]\.request\.path: placeholder \{\{setup\.x\}\}: the run-level setup cannot read its own/],
    ['', 'setup: []\n', /troupe\.config\.yaml, at setup: .*at least 1 item/],
  ];
  for (const [persona, config, message] of cases) {
    const project = await writeProject({ config: `target: http://127.0.0.1:9\nlocations: locations.csv\n${config}`, personas: { 'p.yaml': `name: p\n${persona}\n` }, locations: locationsCsv(1) });
    const err = await validate({ cwd: project }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof TroupeError, `${persona} ${config}: ${String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
  }
  // And the valid forms pass.
  const ok = await writeProject({
    config: `target: http://127.0.0.1:9\nlocations: locations.csv\n${RUN_LEVEL}`,
    personas: { 'shopper.yaml': `${SHOPPER}setupFailure: { retries: 1, then: continue }\nsession: reuse\nsessionPool: 4\n` },
    locations: locationsCsv(1),
  });
  const valid = await validate({ cwd: ok });
  const p = valid.inputs.personas[0]!;
  assert.deepEqual(p.setupFailure, { retries: 1, then: 'continue' });
  assert.deepEqual(p.session, { reuse: true, pool: 4 });
  assert.equal(valid.inputs.config.setup?.[0]?.name, 'admin-login');
});
