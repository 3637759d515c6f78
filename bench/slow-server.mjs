// The latency-truth target for bench/latency-truth.mjs: every request waits `DELAY_MS` (default 20),
// then gets 200 `{"ok":true}`. The server measures its own service time for each request so a load
// tool's latency can be compared with what the server itself saw. Loopback only; port 0; the port is
// the first line on stdout.
//
// It speaks HTTP/1.1 on a bare `net` server rather than `node:http`, so that what it measures is as
// close to the wire as a Node process gets: from the socket read that brought the request's last
// byte (the 'data' event, before any parsing) to the response handed to the kernel (socket.write
// returns once the bytes are in the socket buffer when it is not full, as it never is here; a write
// that has to wait is measured to its callback). node:http's request handler runs after its parser
// and request objects (tens of µs, more when several requests arrive together) and res.end's
// callback a loop turn after the write, so its figures carried the server's own queueing both ways.
// Enough HTTP for autocannon, wrk, undici and troupe: keep-alive, pipelining, Content-Length bodies
// (read and dropped), `Connection: close`.
//
//   GET /__truth          {count, p50, p99, max, mean} of the service times so far (ms), then resets
//   GET /__log            [[seq, arrivedAtMs, serviceMs], …] for the requests that carried an
//                         `X-Seq` header since the last call (then resets): per-request service time,
//                         so a tool's own latency for request `seq` can be set beside the server's.
//                         arrivedAtMs is epoch ms (Date.now() once, then the monotonic clock).
import { createServer } from 'node:net';

const DELAY_MS = Number(process.env.DELAY_MS ?? 20);
const BODY = '{"ok":true}';
const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\nKeep-Alive: timeout=120\r\n\r\n${BODY}`, 'latin1');
const MAX_HEAD = 64 * 1024;
let times = [];
let log = [];
const EPOCH0 = Date.now();
const HR0 = process.hrtime.bigint();
const epochMs = (hr) => EPOCH0 + Number(hr - HR0) / 1e6;

function stats(list) {
  const sorted = Float64Array.from(list).sort();
  const at = (q) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  const mean = sorted.length === 0 ? null : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1), mean };
}

function jsonResponse(value, close) {
  const body = Buffer.from(JSON.stringify(value));
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`, 'latin1'), body]);
}

const server = createServer({ noDelay: true }, (socket) => {
  let buffered = '';
  /** Body bytes of the current request still to read and drop. */
  let skip = 0;
  /** Responses leave in request order: a request's answer waits for the ones before it. */
  let tail = Promise.resolve();
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    const arrived = process.hrtime.bigint();
    let text = chunk.toString('latin1');
    if (skip > 0) {
      const dropped = Math.min(skip, text.length);
      skip -= dropped;
      text = text.slice(dropped);
    }
    buffered += text;
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buffered.length > MAX_HEAD) socket.destroy();
        return;
      }
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      const lines = head.split('\r\n');
      const url = lines[0].split(' ')[1] ?? '/';
      let seq;
      let length = 0;
      let close = /HTTP\/1\.0$/.test(lines[0]);
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(':');
        const name = lines[i].slice(0, colon).trim().toLowerCase();
        const value = lines[i].slice(colon + 1).trim();
        if (name === 'x-seq') seq = Number(value);
        else if (name === 'content-length') length = Number(value) || 0;
        else if (name === 'connection') close = value.toLowerCase() === 'close';
      }
      const inBuffer = Math.min(length, buffered.length);
      buffered = buffered.slice(inBuffer);
      skip = length - inBuffer;
      respond(url, seq, close, arrived);
    }
  });

  function respond(url, seq, close, arrived) {
    if (url === '/__truth' || url === '/__log') {
      const value = url === '/__truth' ? stats(times) : log;
      if (url === '/__truth') times = [];
      else log = [];
      tail = tail.then(() => {
        socket.write(jsonResponse(value, close));
        if (close) socket.end();
      });
      return;
    }
    const due = new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    tail = Promise.all([tail, due]).then(() => {
      if (socket.destroyed) return;
      const record = () => {
        const ms = Number(process.hrtime.bigint() - arrived) / 1e6;
        times.push(ms);
        if (seq !== undefined) log.push([seq, Math.round(epochMs(arrived) * 1000) / 1000, Math.round(ms * 1000) / 1000]);
      };
      // true: the bytes are in the kernel now; false: they wait for the socket to drain (then its callback).
      if (socket.write(RESPONSE)) record();
      else socket.once('drain', record);
      if (close) socket.end();
    });
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));

const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
