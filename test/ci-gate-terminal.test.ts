/**
 * In CI stderr is not a terminal: no carriage-return progress, no ANSI colour unless FORCE_COLOR asks,
 * and stdout carries only the --json document while progress lines go to stderr.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ProgressSink } from '../src/sinks/progress.js';
import { FakeClock } from './helpers/fake-clock.js';
import { detectTerminal } from '../src/sinks/terminal.js';
import { REPO_ROOT, runCli, tempDir } from './helpers/cli.js';
import { startCountingServer } from './helpers/servers.js';

const ESC = '\u001b[';

describe('a non-TTY stream', () => {
  it('gets colour only when FORCE_COLOR says so', () => {
    assert.deepEqual(detectTerminal({ isTTY: false }, {}), { isTTY: false, color: false });
    assert.deepEqual(detectTerminal({ isTTY: false }, { FORCE_COLOR: '1' }), { isTTY: false, color: true });
    assert.deepEqual(detectTerminal({ isTTY: false }, { FORCE_COLOR: '0' }), { isTTY: false, color: false });
    assert.deepEqual(detectTerminal({ isTTY: true }, { NO_COLOR: '1' }), { isTTY: true, color: false });
  });

  it('gets plain progress lines: no carriage return, no escape codes', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d) => (text += d));
    const clock = new FakeClock();
  const sink = new ProgressSink({
      stream,
      terminal: { isTTY: false, color: false },
      planned: new Map([['Sarah', 10]]),
      source: { progress: () => ({ done: 3, errors: 1, p95Ms: 12, hitRate: 0.5 }) },
      lineIntervalMs: 10,
      clock,
    });
    await sink.start();
    await clock.advance(60);
    await sink.stop();
    assert.match(text, /^(progress: 0\/10 requests \(0%\), 1 errors, 0\.0\/s, elapsed 0:00, ETA -\n){2}/);
    assert.ok(!text.includes('\r') && !text.includes(ESC), JSON.stringify(text));
  });
});

describe('troupe run with stderr piped', () => {
  it('writes no carriage returns, and colour only when FORCE_COLOR=1', async () => {
    // Without FORCE_COLOR, the --json run below shows the plain case on a longer run, progress lines included.
    const forced = await runCli(['run', '--no-reports', '--out', await tempDir(), '--threshold', 'p95 < 1ms'], { cwd: REPO_ROOT, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    assert.equal(forced.code, 1, forced.stderr);
    assert.ok(forced.stderr.includes(ESC), 'colour when forced');
    assert.ok(!forced.stderr.includes('\r'), 'still no bars: stderr is not a terminal');
  });

  it('--json: stdout is exactly one JSON document while progress lines went to stderr', async () => {
    // 1 persona × 100 locations at concurrency 1, ~60 ms each: long enough for a 5-second progress line.
    const server = await startCountingServer({ delayMs: 60 });
    try {
      const dir = await tempDir();
      await writeFile(join(dir, 'personas.yaml'), '- name: Solo\n');
      await writeFile(join(dir, 'locations.csv'), ['id', ...Array.from({ length: 100 }, (_, i) => `loc-${i}`)].join('\n'));
      await writeFile(
        join(dir, 'troupe.config.yaml'),
        [`target: ${server.url}`, 'personas: personas.yaml', 'locations: locations.csv', 'concurrency: 1', 'request: { method: GET, path: "/x/{{location.id}}" }', 'thresholds: ["error_rate < 1%"]'].join('\n'),
      );
      // NO_COLOR unset: no colour must come from stderr not being a terminal, not from NO_COLOR.
      const result = await runCli(['run', '--no-reports', '--json', '--out', join(dir, 'runs')], { cwd: dir, env: { NO_COLOR: undefined } });
      assert.equal(result.code, 0, result.stderr);
      const doc = JSON.parse(result.stdout);
      assert.equal(doc.global.requests, 100);
      assert.equal(doc.thresholds.passed, true);
      assert.match(result.stderr, /^progress: \d+\/100 requests/m);
      assert.ok(!result.stderr.includes('\r'), 'no carriage returns: stderr is not a terminal');
      assert.ok(!result.stderr.includes(ESC), 'no ANSI colour without FORCE_COLOR');
    } finally {
      await server.close();
    }
  });
});
