/** Waiting on what a stream says instead of sleeping: resolves on the text, fails after a bound. */
import type { Readable } from 'node:stream';

/**
 * Resolves with everything read so far once `pattern` matches it (or, for a number, once that many
 * lines have arrived). A ref'd timer bounds the wait, so an unref'd producer cannot let the event
 * loop empty out under the test, and a silent one fails with what it did say.
 */
export function waitForText(stream: Readable, pattern: RegExp | number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => (typeof pattern === 'number' ? text.split('\n').length > pattern : pattern.test(text));
    const onData = (chunk: Buffer | string) => {
      text += chunk;
      if (done()) finish(() => resolve(text));
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`waited ${timeoutMs} ms for ${String(pattern)}; got ${JSON.stringify(text.slice(-500))}`))), timeoutMs);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData);
      settle();
    };
    stream.on('data', onData);
  });
}
