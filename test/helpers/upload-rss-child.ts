/**
 * Child process of upload-memory.test.ts: runs a warm-up run (same code paths, a small upload), then
 * the measured run, in process, and prints its memory as one JSON line: RSS and ArrayBuffer memory
 * just before the measured run and their highest values sampled every 5 ms during it, and the
 * process's peak RSS (getrusage) before and after. The test server runs in the parent, so only troupe's own memory is in these figures.
 *
 *   node upload-rss-child.js <project dir> <warm-up config> <measured config>
 */
import { run } from '../../src/index.js';

const [cwd, warmConfig, config] = process.argv.slice(2) as [string, string, string];
await run({ cwd, config: warmConfig });
globalThis.gc?.();
const before = process.memoryUsage().rss;
const maxRssBefore = process.resourceUsage().maxRSS * 1024;
const buffersBefore = process.memoryUsage().arrayBuffers;
let peak = before;
let buffersPeak = buffersBefore;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  buffersPeak = Math.max(buffersPeak, m.arrayBuffers);
}, 5);
const result = await run({ cwd, config });
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const maxRssAfter = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ before, peak, maxRssBefore, maxRssAfter, buffersBefore, buffersPeak, ok: result.summary.global.ok, requests: result.summary.global.requests })}\n`);
