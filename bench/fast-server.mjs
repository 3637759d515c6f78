// A deliberately trivial HTTP target for bench/throughput.mjs.
//
// It answers every request 200 with a tiny JSON body and `X-Cache: HIT`, so the load generator, not
// the server, is the bottleneck, and troupe classifies every response as a cache hit (the same code
// path a real run takes). It runs in its own process so its CPU is never charged to the tool being
// measured. Loopback only; port 0 picks a free port, which is printed as the first line on stdout.
import { createServer } from 'node:http';

const BODY = Buffer.from('{"ok":true}');
const HEADERS = {
  'Content-Type': 'application/json',
  'Content-Length': String(BODY.length),
  'X-Cache': 'HIT',
};

const server = createServer((req, res) => {
  // Drain any request body so the keep-alive connection can be reused for the next request.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});

// Both tools keep connections open between requests; don't let the server close idle ones mid-run
// (Node's default keepAliveTimeout is 5 s, shorter than a think-time-free gap is ever likely to be,
// but a long idle between the autocannon and troupe phases would otherwise log resets).
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

// The parent kills us with SIGTERM; close quickly and quietly. If the parent dies without doing so,
// stdin (a pipe from the parent) closes, and we leave too, so no server outlives a benchmark.
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
