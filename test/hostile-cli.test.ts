/**
 * Hostile input that is handled safely rather than refused, and the CLI's side of the refusals in
 * test/hostile-inputs.test.ts: names that are JavaScript's own property names work as data; control
 * characters in names never reach a terminal or summary.md raw; a `${env:…}` secret placed in a query,
 * the run name, a persona name, URL userinfo and a bad value is in no file, stdout or stderr; a
 * malformed HTTP response is a `protocol` error with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, TroupeError, type RunOptions } from '../src/index.js';
import { listDir, onlyRunDir, runCli, tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { walk } from './helpers/run-files.js';
import { forms, searchable } from './helpers/secret-scan.js';
import { pdfPages } from './fixtures/reports/read.js';
import { RAW_RESPONSES, startCountingServer, startFaultServer, startRawServer } from './helpers/servers.js';

const SENTINEL = 'S3NT1NEL-cl1-4b2e';
const NO_STACK = /\n\s+at /;

test('hostile input at the CLI: exit 2, one "troupe:" message naming file and key, no stack trace, no run directory', async () => {
  const dir = await tempDir('troupe-hostile-cli-');
  await writeFile(join(dir, 'crlf.yaml'), 'target: http://127.0.0.1:9\nrequest: { method: GET, path: /x, headers: { X-A: "a\\r\\nX-Injected: 1" } }\n');
  await writeFile(join(dir, 'a-file'), 'not a folder');
  await writeFile(join(dir, 'ok.yaml'), 'target: http://127.0.0.1:9\n');
  const out = join(dir, 'out');
  // The CLI once, for the way only it refuses: a flag value (checked while commander parses). A config
  // key (InputError) and the check on --out are refused by the API before the CLI prints the message
  // after "troupe: " (cli-bad-input.test.ts shows that per loader): in-process, the same assertions.
  const result = await runCli(['run', '--no-reports', '--out', out, '--config', 'crlf.yaml', '--rate', '1000000000000', '--duration', '1s'], { cwd: dir });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^troupe: --rate: got 1000000000000, expected a rate of at most 100000/);
  assert.doesNotMatch(result.stderr, NO_STACK, 'no stack trace');
  assert.equal(result.stdout, '');
  const cases: Array<[RunOptions, RegExp]> = [
    [{ config: 'crlf.yaml', out }, /^crlf\.yaml, at request\.headers\.X-A: the value contains a carriage return/],
    [{ config: 'ok.yaml', out: 'a-file' }, /^--out "a-file": a-file is a file; expected a folder/],
  ];
  for (const [options, message] of cases) {
    const error = await run({ cwd: dir, ...options }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof TroupeError, `${JSON.stringify(options)}: ${String(error)}`);
    assert.equal(error.exitCode, 2, error.message);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, NO_STACK, 'no stack trace in the message');
  }
  assert.deepEqual(await listDir(out), [], 'no run directory');
  assert.deepEqual((await readdir(dir)).sort(), ['a-file', 'crlf.yaml', 'ok.yaml'], 'nothing else written');
});

test('a ${env:} secret in the query, run name, persona name and URL userinfo is in no file, stdout or stderr; a bad value is not echoed', { timeout: 60_000 }, async (t) => {
  const target = await startCountingServer({ delayMs: 0 });
  t.after(() => target.close());
  const url = new URL(target.url);
  const project = await writeProject({
    config: [
      'name: "nightly ${env:TROUPE_SENTINEL}"',
      `target: "http://user:\${env:TROUPE_SENTINEL}@127.0.0.1:${url.port}"`,
      'request: { method: GET, path: "/{{location.id}}", query: { q: "${env:TROUPE_SENTINEL}" } }',
      'locations: locations.csv',
      'out: out',
      '',
    ].join('\n'),
    personas: { 'p.yaml': 'name: "agent ${env:TROUPE_SENTINEL}"\n' },
    locations: 'id\na\nb\n',
  });
  const result = await runCli(['run', '--verbose'], { cwd: project, env: { TROUPE_SENTINEL: SENTINEL } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(target.requests, 2, 'the requests were sent (with the secret, where the target needs it)');
  const runDir = await onlyRunDir(join(project, 'out'));
  const files = await walk(runDir);
  assert.ok(files.includes('report.pdf') && files.some((f) => f.startsWith('csv/')), files.join());
  const haystacks: Array<[string, Buffer]> = [['stdout', Buffer.from(result.stdout)], ['stderr', Buffer.from(result.stderr)], ['run directory name', Buffer.from(runDir)]];
  haystacks.push(['report.pdf (text)', Buffer.from((await pdfPages(join(runDir, 'report.pdf'))).join('\n'))]);
  for (const f of files) for (const b of searchable(f, await readFile(join(runDir, f)))) haystacks.push([f, b]);
  for (const [where, bytes] of haystacks) {
    for (const [form, needle] of forms(SENTINEL)) assert.equal(bytes.indexOf(needle), -1, `the sentinel (${form}) is in ${where}`);
  }
  const manifest = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'));
  assert.equal(manifest.name, 'nightly [secret]');

  // The same secret as a bad value: the message names the key, not the value.
  await writeFile(join(project, 'troupe.config.yaml'), 'target: demo\nconcurrency: "${env:TROUPE_SENTINEL}"\nlocations: locations.csv\nout: out2\n');
  // In-process: the CLI prints exactly this message after "troupe: " (cli-bad-input.test.ts).
  const bad = await run({ cwd: project, env: { TROUPE_SENTINEL: SENTINEL } }).then(() => null, (e: unknown) => e);
  assert.ok(bad instanceof TroupeError, String(bad));
  assert.equal(bad.exitCode, 2, bad.message);
  assert.match(bad.message, /troupe\.config\.yaml, at concurrency: got "\[secret\]", expected a number/);
  assert.ok(!bad.message.includes(SENTINEL));
  assert.deepEqual(await listDir(join(project, 'out2')), []);
});

test('handled safely: personas, locations and steps named __proto__, constructor, toString, hasOwnProperty and valueOf are data', async (t) => {
  const faults = await startFaultServer();
  t.after(() => faults.close());
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
  const personas: Record<string, string> = {};
  names.forEach((name, i) => (personas[`p${i}.yaml`] = `name: ${name}\n`));
  personas['journey.yaml'] = 'name: prototype\njourney:\n  - name: __proto__\n    request: { method: GET, path: /ok }\n  - name: constructor\n    request: { method: GET, path: /ok }\n';
  const project = await writeProject({
    config: `target: ${faults.url}\nrequest: { method: GET, path: /ok }\nlocations: locations.csv\nout: out\n`,
    personas,
    locations: 'id\n__proto__\nconstructor\ntoString\n',
  });
  const result = await run({ cwd: project });
  assert.equal(result.status, 'complete');
  const summary = JSON.parse(await readFile(join(result.runDir, 'summary.json'), 'utf8'));
  assert.deepEqual(Object.keys(summary.personas).sort(), [...names, 'prototype'].sort());
  for (const name of names) assert.equal(summary.personas[name].requests, 3, `${name}: one request per location`);
  assert.equal(summary.personas.prototype.requests, 6, 'two steps per location');
  assert.deepEqual(Object.keys(summary.locations).sort(), ['__proto__', 'constructor', 'toString']);
  for (const id of ['__proto__', 'constructor', 'toString']) assert.equal(summary.locations[id].requests, 7);
  assert.ok(Object.hasOwn(summary.steps, '__proto__') && Object.hasOwn(summary.steps, 'constructor'), Object.keys(summary.steps).join());
  assert.equal(summary.steps.__proto__.requests, 3);
  assert.equal(summary.global.requests, 21);
  assert.equal(Object.getPrototypeOf(summary.personas), Object.prototype, 'nothing replaced the prototype');
  assert.equal((await readdir(join(result.runDir, 'personas'))).length, 6, 'one snapshot per persona');
  const markdown = await readFile(join(result.runDir, 'summary.md'), 'utf8');
  for (const name of names) assert.match(markdown, new RegExp(`\\| ${name.replace(/_/g, '\\_?_')} \\| 3 \\|`), name);
});

test('handled safely: control characters in persona and location names reach neither the terminal nor summary.md raw', async (t) => {
  const faults = await startFaultServer();
  t.after(() => faults.close());
  const project = await writeProject({
    config: `target: ${faults.url}\nrequest: { method: GET, path: /ok }\nlocations: locations.csv\nout: out\n`,
    personas: { 'p.yaml': 'name: "evil \\e[31mred\\e[0m\\rbell\\a"\n' },
    locations: 'id\n"x\u001b[2Jy"\n',
  });
  const result = await runCli(['run', '--no-reports', '--threshold', 'location:"x\u001b[2Jy" error_rate > 50%'], { cwd: project });
  assert.equal(result.code, 1, `the threshold fails (no errors, whatever the speed), so its scope is printed too: ${result.stderr}`);
  for (const [label, ch] of [['ESC', '\u001b'], ['CR', '\r'], ['BEL', '\u0007']] as const) {
    assert.ok(!result.stderr.includes(ch) && !result.stdout.includes(ch), `no raw ${label} on the terminal: ${JSON.stringify(result.stderr)}`);
  }
  assert.match(result.stderr, /evil \\x1b\[31mred\\x1b\[0m\\x0dbell\\x07/, 'the table shows the name escaped');
  const markdown = await readFile(join(await onlyRunDir(join(project, 'out')), 'summary.md'), 'utf8');
  assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(markdown), JSON.stringify(markdown));
  assert.match(markdown, /evil \\x1b\[31mred/);
});

test('malformed HTTP responses are protocol errors with the reason, never unknown', async (t) => {
  const raw = await startRawServer();
  t.after(() => raw.close());
  const routes = Object.keys(RAW_RESPONSES);
  const project = await writeProject({
    config: `target: ${raw.url}\nrequest: { method: GET, path: "/{{location.id}}" }\nlocations: locations.csv\nconcurrency: 4\ntimeouts: { headers: 5s, body: 5s, total: 10s }\nout: out\n`,
    personas: { 'p.yaml': 'name: P\n' },
    locations: `id\n${routes.join('\n')}\n`,
  });
  const result = await run({ cwd: project });
  const lines = (await readFile(join(result.runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { location: string; error: string | null; message?: string });
  assert.equal(lines.length, routes.length);
  const reasons: Record<string, RegExp> = {
    'status-600': /status 600 is outside 100-599/,
    'status-99': /Invalid status code/,
    'status-1000': /Invalid response status/,
    'two-content-lengths': /content-length/i,
    'content-length-and-chunked': /content-length/i,
    'bad-content-length': /Content-Length/,
    'huge-header-block': /Headers Overflow/,
    'unasked-100-continue': /bad response/,
    'not-http': /Expected HTTP/,
    'bad-chunk-size': /chunk size/,
    'nul-in-header': /header value char/,
  };
  for (const line of lines) {
    assert.equal(line.error, 'protocol', `${line.location}: ${line.error} ${line.message}`);
    assert.match(line.message ?? '', reasons[line.location]!, line.location);
  }
});
