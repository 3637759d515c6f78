/**
 * In CI stderr is not a terminal: no carriage-return progress, no ANSI colour unless FORCE_COLOR asks.
 * The built CLI with stderr piped (plain progress lines beside a --json stdout; colour when FORCE_COLOR=1)
 * is asserted on ci-gate.test.ts' passing and failing runs.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ProgressSink } from '../src/sinks/progress.js';
import { FakeClock } from './helpers/fake-clock.js';
import { detectTerminal } from '../src/sinks/terminal.js';

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
