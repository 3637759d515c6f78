import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redactor } from '../src/redact.js';
import { onlyRunDir, runCli } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { walk } from './helpers/run-files.js';
import { forms, searchable } from './helpers/secret-scan.js';
import { buildReports } from '../src/reports/build.js';
import { renderRunTable } from '../src/reports/console.js';
import { detectTerminal, paint } from '../src/sinks/terminal.js';
import { run } from '../src/index.js';
import { PassThrough } from 'node:stream';
import { startCountingServer, startFaultServer } from './helpers/servers.js';

const SENTINEL = 'S3NT1NEL-9f8e7d6c5b4a';

test('a secret from the environment appears nowhere: run directory, stdout, stderr, --verbose', { timeout: 60_000 }, async (t) => {
  const faults = await startFaultServer();
  const other = await startCountingServer({ delayMs: 0 });
  t.after(() => faults.close());
  t.after(() => other.close());
  // Placeholders in a path are URL-encoded, so routes are single segments and the redirect target a query value.
  const routes = ['ok', '500', 'reset-before-headers', '429', 'echo', 'redirect', 'redirect-loop'];
  const project = await writeProject({
    config: [
      'name: secrets',
      `target: ${faults.url}`,
      'request:',
      '  method: GET',
      '  path: "/{{location.route}}"',
      `  query: { q: "\${env:TROUPE_SENTINEL}", token: "\${env:TROUPE_SENTINEL}", to: "${other.url}/x" }`,
      '  headers:',
      '    Authorization: "Bearer ${env:TROUPE_SENTINEL}"',
      '    X-Custom-Token: "${env:TROUPE_SENTINEL}"',
      '    X-Session: "plain-session-value"',
      'redact: [X-Session]',
      `allowHosts: ["127.0.0.1:${faults.port}"]`,
      'redirects: { max: 2 }',
      'locations: locations.csv',
      'out: out',
      '',
    ].join('\n'),
    personas: { 'p.yaml': 'name: Keeper\nheaders:\n  Cookie: "sid=${env:TROUPE_SENTINEL}"\n  X-Api-Key: "${env:TROUPE_SENTINEL}"\n' },
    locations: `id,route\n${routes.map((r, i) => `r${i},${r}`).join('\n')}\n`,
  });
  // --no-reports, then csv/ in-process: the CSVs carry the URLs and are scanned below. report.pdf is built
  // from the same summary and results; its text is scanned for a sentinel (in the query, the run and
  // persona names, the URL) in hostile-cli.test.ts, so this file renders no PDF.
  const result = await runCli(['run', '--verbose', '--no-progress', '--no-reports'], { cwd: project, env: { TROUPE_SENTINEL: SENTINEL } });
  assert.equal(result.code, 0, result.stderr);
  const runDir = await onlyRunDir(join(project, 'out'));
  assert.deepEqual((await buildReports(runDir, ['csv'])).failed, []);

  // The run had the failures the test relies on, and --verbose described them.
  const codes = (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).error);
  for (const code of ['http_5xx', 'conn_reset', 'http_4xx', 'host_not_allowed', 'too_many_redirects']) assert.ok(codes.includes(code), `${code} in ${codes}`);
  assert.match(result.stderr, /troupe: failed keeper\/r1\/1: GET http:\/\/127\.0\.0\.1:\d+\/500\?q=\S+&token=\S+&to=\S+ → http_5xx \(HTTP 500\)/);
  assert.match(result.stderr, /→ host_not_allowed \(HTTP 302\): redirect hop 1 to 127\.0\.0\.1:\d+ refused/);
  assert.equal(other.requests, 0);

  const files = await walk(runDir);
  t.diagnostic(`searched ${files.length} files: ${files.join(', ')}`);
  // The reports are part of what must stay clean: make sure they were written.
  assert.ok(files.includes('csv/requests.csv'), files.join());
  const haystacks: Array<[string, Buffer]> = [
    ['stdout', Buffer.from(result.stdout)],
    ['stderr', Buffer.from(result.stderr)],
  ];
  for (const f of files) for (const b of searchable(f, await readFile(join(runDir, f)))) haystacks.push([f, b]);
  for (const [where, bytes] of haystacks) {
    for (const [form, needle] of forms(SENTINEL)) assert.equal(bytes.indexOf(needle), -1, `the sentinel (${form}) is in ${where}`);
    assert.equal(bytes.indexOf('plain-session-value'), -1, `a redact: header value is in ${where}`);
  }
  const manifest = await readFile(join(runDir, 'run.json'), 'utf8');
  assert.match(manifest, /"Authorization": "\[redacted\]"/);
  assert.match(manifest, /"X-Custom-Token": "\[redacted\]"/);
});

test('an empty secret does not garble output', async (t) => {
  const redactor = new Redactor(['', 'x'.repeat(0)], []);
  assert.equal(redactor.text('hello world'), 'hello world');
  assert.equal(redactor.url('http://h/p?a=1'), 'http://h/p?a=1');

  const faults = await startFaultServer();
  t.after(() => faults.close());
  const project = await writeProject({
    config: `name: empty-secret\ntarget: ${faults.url}\nrequest: { method: GET, path: /ok, headers: { X-Empty: "\${env:TROUPE_EMPTY}" } }\nlocations: locations.csv\nout: out\n`,
    personas: { 'p.yaml': 'name: Plain\n' },
    locations: 'id,route\nr1,/ok\n',
  });
  // results.ndjson, run.json and the console's text are the subject; in-process: the run, and the table
  // the CLI prints on stderr, rendered from its summary (the CLI's streams are scanned in the test above).
  const warnings: string[] = [];
  const progress = new PassThrough();
  progress.on('data', (d: Buffer) => warnings.push(String(d)));
  const result = await run({ cwd: project, env: { TROUPE_EMPTY: '' }, progress });
  assert.equal(result.passed, true);
  const results = await readFile(join(result.runDir, 'results.ndjson'), 'utf8');
  assert.ok(!results.includes('[redacted]'), results);
  const manifest = JSON.parse(await readFile(join(result.runDir, 'run.json'), 'utf8'));
  assert.equal(manifest.name, 'empty-secret');
  const printed = [renderRunTable(result.summary, paint(detectTerminal({}))), ...warnings, ...result.warnings].join('\n');
  assert.match(printed, /Plain/, 'the table was rendered');
  assert.ok(!printed.includes('[redacted]'), printed);
});
