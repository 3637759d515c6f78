// The latency-truth target for bench/latency-truth.mjs: every request waits `DELAY_MS` (default 20),
// then gets 200 `{"ok":true}`. The server measures its own service time for each request (from the
// moment Node hands it the request to the moment the last byte is handed to the socket) so a load
// tool's latency can be compared with what the server itself saw. Loopback only; port 0; the port is
// the first line on stdout.
//
//   GET /__truth          {count, p50, p99, max, mean} of the service times so far (ms), then resets
import { createServer } from 'node:http';

const DELAY_MS = Number(process.env.DELAY_MS ?? 20);
const BODY = Buffer.from('{"ok":true}');
const HEADERS = { 'Content-Type': 'application/json', 'Content-Length': String(BODY.length) };
let times = [];

function stats(list) {
  const sorted = Float64Array.from(list).sort();
  const at = (q) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  const mean = sorted.length === 0 ? null : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1), mean };
}

const server = createServer((req, res) => {
  if (req.url === '/__truth') {
    const body = JSON.stringify(stats(times));
    times = [];
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
    return;
  }
  const started = process.hrtime.bigint();
  req.resume();
  setTimeout(() => {
    res.writeHead(200, HEADERS);
    res.end(BODY, () => times.push(Number(process.hrtime.bigint() - started) / 1e6));
  }, DELAY_MS);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));

const stop = () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
