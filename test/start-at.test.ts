/** --start-at / --start-after: the instant parsed from flags, the config and the environment; the wait on fake time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validate } from '../src/index.js';
import { parseInstant, startFromFlags } from '../src/inputs/start-time.js';
import { waitForStart } from '../src/run/start-wait.js';
import { startNote } from '../src/reports/start-note.js';
import { FakeClock } from './helpers/fake-clock.js';
import { runCli } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { startCountingServer } from './helpers/servers.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);

class Capture {
  text = '';
  write = (s: string) => ((this.text += s), true);
}

test('instants: ISO 8601 with a zone or Unix seconds; --start-after counts from --start-reference or TROUPE_START_REFERENCE', () => {
  assert.equal(parseInstant('2026-01-01T12:00:00Z'), T);
  assert.equal(parseInstant('2026-01-01T13:00:00.000+01:00'), T);
  assert.equal(parseInstant(String(T / 1000)), T);
  for (const bad of ['2026-01-01T12:00:00', 'tomorrow', '12:00', '', '2026-13-45T99:00:00Z']) assert.equal(parseInstant(bad), null, bad);

  assert.equal(startFromFlags({ startAt: '2026-01-01T12:00:00Z' }, {}), T);
  assert.equal(startFromFlags({ startAfter: 30_000, startReference: '2026-01-01T12:00:00Z' }, {}), T + 30_000);
  assert.equal(startFromFlags({ startAfter: 30_000 }, { TROUPE_START_REFERENCE: '2026-01-01T12:00:00Z' }), T + 30_000);
  assert.equal(startFromFlags({}, { TROUPE_START_REFERENCE: '2026-01-01T12:00:00Z' }), undefined, 'the variable alone asks for nothing');
  const refused: Array<[Parameters<typeof startFromFlags>[0], NodeJS.ProcessEnv, RegExp]> = [
    [{ startAt: '2026-01-01 12:00' }, {}, /^--start-at: expected an ISO 8601 time with a zone.*got "2026-01-01 12:00"/],
    [{ startAt: 'x', startAfter: 1000 }, {}, /give one of them, not both/],
    [{ startAfter: 30_000 }, {}, /--start-after 30s: needs the time every shard counts from: --start-reference <time> or TROUPE_START_REFERENCE/],
    [{ startAfter: 30_000 }, { TROUPE_START_REFERENCE: 'soon' }, /^TROUPE_START_REFERENCE: expected .* got "soon"/],
    [{ startReference: '2026-01-01T12:00:00Z' }, {}, /give --start-after too/],
  ];
  for (const [flags, env, message] of refused) assert.throws(() => startFromFlags(flags, env), (e: { exitCode?: number; message: string }) => e.exitCode === 2 && message.test(e.message), JSON.stringify(flags));
});

test('startAt: in the config is read; a bad one names the key and the value; it is not part of the config hash', async () => {
  const project = await writeProject({ config: 'target: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: / }\nstartAt: "2026-01-01T12:00:00Z"\n', personas: { 'a.yaml': 'name: A\n' }, locations: 'id\nl1\n' });
  const v = await validate({ cwd: project });
  assert.equal(v.inputs.config.startAt, T);
  const flag = await validate({ cwd: project, startAt: T + 5000 });
  assert.equal(flag.inputs.config.startAt, T + 5000, 'the flag replaces the config');
  assert.equal(flag.inputs.configHash, v.inputs.configHash, 'shards given different instants still merge');
  await writeFile(join(project, 'troupe.config.yaml'), 'target: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: / }\nstartAt: "at noon"\n');
  await assert.rejects(validate({ cwd: project }), (e: { exitCode?: number; message: string }) => e.exitCode === 2 && /troupe\.config\.yaml.*startAt.*expected an ISO 8601 time with a zone.*"at noon"/s.test(e.message));
});

test('the wait ends on the instant, counting down on a terminal, one line elsewhere', async () => {
  const clock = new FakeClock(T);
  const live = new Capture();
  const waiting = waitForStart({ at: T + 2500, clock, stream: live as unknown as NodeJS.WritableStream, style: 'live' });
  const ended = await clock.runUntil(waiting, 100);
  assert.equal(ended.startedAt, T + 2500, 'not a step early or late on fake time');
  assert.equal(ended.lateMs, 0);
  assert.deepEqual(live.text.split('\r').filter(Boolean).map((l) => l.replace(/\x1b\[K|\n/g, '').replace(/ \(.*$/, '')), ['troupe: starting in 3 s', 'troupe: starting in 2 s', 'troupe: starting in 1 s', 'troupe: starting now']);

  const quiet = new Capture();
  const clock2 = new FakeClock(T);
  await clock2.runUntil(waitForStart({ at: T + 90_000, clock: clock2, stream: quiet as unknown as NodeJS.WritableStream, style: 'line' }), 1000);
  assert.equal(quiet.text, 'troupe: waiting until 2026-01-01T12:01:30.000Z to start (in 90 s)\n', 'one line: a log, a pipe, --json');
});

test('an instant already past starts at once with a warning saying how late; Ctrl-C ends the wait', async () => {
  const clock = new FakeClock(T);
  const out = new Capture();
  const late = await waitForStart({ at: T - 1200, clock, stream: out as unknown as NodeJS.WritableStream, style: 'live' });
  assert.deepEqual(late, { startedAt: T, lateMs: 1200 });
  assert.equal(out.text, 'troupe: warning: the start instant 2026-01-01T11:59:58.800Z passed 1200 ms ago; starting now\n');
  assert.equal(startNote({ start: { at: new Date(T).toISOString(), plannedAt: new Date(T - 1200).toISOString(), lateMs: 1200 } }), 'The start instant 2026-01-01T11:59:58.800Z had passed by 1200 ms: the run started at once, at 2026-01-01T12:00:00.000Z.');

  const stop = new AbortController();
  const waiting = waitForStart({ at: T + 60_000, clock, signal: stop.signal, stream: out as unknown as NodeJS.WritableStream, style: 'none' });
  await clock.advance(5000);
  stop.abort();
  const stopped = await waiting;
  assert.equal(stopped.startedAt, T + 5000, 'the wait ends when the signal aborts, not at the instant');
});

test('troupe run --start-at an instant already past: starts at once, warns how late, records it; a bad --start-after reference is exit 2', async (t) => {
  const server = await startCountingServer({ delayMs: 0 });
  t.after(() => server.close());
  const project = await writeProject({ config: `target: ${server.url}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: / }\n`, personas: { 'a.yaml': 'name: A\n' }, locations: 'id\nl1\n' });
  const past = new Date(Date.now() - 60_000).toISOString();
  const [late, bad] = await Promise.all([
    runCli(['run', '--start-at', past, '--no-reports', '--no-progress', '--json'], { cwd: project }),
    runCli(['validate', '--start-after', '30s'], { cwd: project, env: { TROUPE_START_REFERENCE: 'yesterday' } }),
  ]);
  assert.equal(late.code, 0, late.stderr);
  assert.match(late.stderr, new RegExp(`troupe: warning: the start instant ${past.replace(/\./g, '\\.')} passed \\d+ ms ago; starting now`));
  const summary = JSON.parse(late.stdout);
  assert.equal(summary.start.plannedAt, past);
  assert.ok(summary.start.lateMs >= 60_000, String(summary.start.lateMs));
  assert.equal(server.requests, 1);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /TROUPE_START_REFERENCE: expected an ISO 8601 time with a zone.*got "yesterday"/);
});
