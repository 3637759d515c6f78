/**
 * The lean HTTP/1.1 client (src/engine/h1-client.ts) through the sender (sendRequest), against real
 * servers on 127.0.0.1: keep-alive reuse as the server counts it, a server closing idle sockets,
 * chunked and 1xx responses, HEAD, every malformed answer to the same code and reason as undici
 * gives, abort mid-body, connection refused, and what it hands to undici.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { Dispatcher } from 'undici';
import { createDispatcher, sendRequest, type OutgoingRequest, type SendOptions } from '../src/engine/http.js';
import { LeanDispatcher } from '../src/engine/h1-client.js';
import { systemClock } from '../src/engine/clock.js';
import { RAW_RESPONSES, Teardown, closedPortUrl, listen, startFaultServer, startRawServer, startSelfSignedTlsServer } from './helpers/servers.js';

const TIMEOUTS = { connectMs: 2000, headersMs: 2000, bodyMs: 2000, totalMs: 4000 };
const OPTIONS: SendOptions = { timeouts: TIMEOUTS, maxResponseBytes: 1 << 20, keepBody: true, clock: systemClock };

const get = (url: string, method = 'GET', body?: string): OutgoingRequest => ({ method, url, headers: { accept: '*/*' }, ...(body === undefined ? {} : { body }) });

function lean(t: { after(fn: () => Promise<void>): void }): Dispatcher {
  const dispatcher = createDispatcher(TIMEOUTS);
  assert.ok(dispatcher instanceof LeanDispatcher, 'plain http: without proxy or h2 gets the lean client');
  t.after(() => dispatcher.close());
  return dispatcher;
}

/** An http.Server that counts connections and requests; `handle` answers. */
async function countingServer(t: { after(fn: () => Promise<void>): void }, handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const teardown = new Teardown();
  const counts = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    counts.requests++;
    handle(req, res);
  });
  server.on('connection', () => counts.connections++);
  teardown.track(server);
  const port = await listen(server);
  t.after(() => teardown.close(server));
  return { url: `http://127.0.0.1:${port}`, counts, server };
}

test('keep-alive: 30 sequential requests reuse one connection; 4 at a time use 4', async (t) => {
  const { url, counts } = await countingServer(t, (req, res) => {
    req.resume();
    res.end(JSON.stringify({ path: req.url }));
  });
  const dispatcher = lean(t);
  for (let i = 0; i < 30; i++) {
    const outcome = await sendRequest(dispatcher, get(`${url}/n/${i}`), OPTIONS);
    assert.equal(outcome.status, 200);
    assert.equal(outcome.bodyText, JSON.stringify({ path: `/n/${i}` }));
    assert.equal(outcome.protocol, 'http/1.1');
  }
  assert.equal(counts.connections, 1, 'one socket for 30 requests');
  for (let round = 0; round < 5; round++) {
    const outcomes = await Promise.all([0, 1, 2, 3].map((i) => sendRequest(dispatcher, get(`${url}/c/${i}`), OPTIONS)));
    assert.deepEqual(outcomes.map((o) => o.status), [200, 200, 200, 200]);
  }
  assert.equal(counts.connections, 4, 'grown to the concurrency and no further');
  assert.equal(counts.requests, 50);
});

test('a server that closes idle sockets between requests: the next request opens a new one, no error', async (t) => {
  const { url, counts, server } = await countingServer(t, (req, res) => {
    req.resume();
    res.end('ok');
  });
  const dispatcher = lean(t);
  for (let i = 0; i < 5; i++) {
    const outcome = await sendRequest(dispatcher, get(`${url}/x`), OPTIONS);
    assert.equal(outcome.error, null, outcome.message);
    // Drops every idle keep-alive socket (its FIN reaches the client before the next request).
    server.closeIdleConnections();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(counts.requests, 5);
  assert.equal(counts.connections, 5);
});

test('a reused socket the server closes unanswered: conn_reset, never sent again (any method); the next request opens a new socket', async (t) => {
  // A raw server: every connection's second request gets its socket closed, unanswered.
  const teardown = new Teardown();
  let connections = 0;
  let heads = 0;
  const server = net.createServer((socket) => {
    connections++;
    let seen = 0;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const _ of chunk.toString('latin1').matchAll(/\r\n\r\n/g)) {
        heads++;
        if (++seen === 2) return socket.destroy();
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  });
  teardown.track(server);
  const url = `http://127.0.0.1:${await listen(server)}`;
  t.after(() => teardown.close(server));
  const dispatcher = lean(t);
  assert.equal((await sendRequest(dispatcher, get(url), OPTIONS)).status, 200);
  // The server may have acted on it: troupe's count must stay the target's, so it is not re-sent.
  const second = await sendRequest(dispatcher, get(url), OPTIONS);
  assert.equal(second.error, 'conn_reset', second.message);
  assert.match(second.message ?? '', /other side closed|ECONNRESET/);
  assert.equal(heads, 2, 'the cut request was written once');
  const third = await sendRequest(dispatcher, get(url, 'POST', 'x'), OPTIONS);
  assert.equal(third.status, 200, `${third.error} ${third.message}`);
  assert.equal(connections, 2, 'the next request went out on a new socket');
  assert.equal(heads, 3);
});

test('chunked body, 1xx before the answer, HEAD, 204 and 304 without a body, Set-Cookie as an array', async (t) => {
  const { url, counts } = await countingServer(t, (req, res) => {
    req.resume();
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-cache': 'MISS' });
      res.write('hel');
      setImmediate(() => res.end('lo'));
    } else if (req.url === '/early') {
      res.writeEarlyHints({ link: '</a.css>; rel=preload' }, () => res.end('after hints'));
    } else if (req.url === '/204') {
      res.writeHead(204).end();
    } else if (req.url === '/304') {
      res.writeHead(304, { etag: '"x"' }).end();
    } else res.writeHead(200, { 'content-length': '5' }).end(req.method === 'HEAD' ? undefined : 'hello');
  });
  const dispatcher = lean(t);
  const chunked = await sendRequest(dispatcher, get(`${url}/chunked`), OPTIONS);
  assert.equal(chunked.bodyText, 'hello');
  assert.equal(chunked.bytes, 5);
  assert.deepEqual(chunked.headers?.['set-cookie'], ['a=1', 'b=2']);
  assert.equal(chunked.headers?.['x-cache'], 'MISS');
  const early = await sendRequest(dispatcher, get(`${url}/early`), OPTIONS);
  assert.equal(early.status, 200);
  assert.equal(early.bodyText, 'after hints');
  const head = await sendRequest(dispatcher, get(`${url}/head`, 'HEAD'), OPTIONS);
  assert.equal(head.status, 200);
  assert.equal(head.headers?.['content-length'], '5');
  assert.equal(head.bytes, 0);
  for (const status of [204, 304]) {
    const outcome = await sendRequest(dispatcher, get(`${url}/${status}`), OPTIONS);
    assert.equal(outcome.status, status);
    assert.equal(outcome.bytes, 0);
  }
  const after = await sendRequest(dispatcher, get(`${url}/plain`), OPTIONS);
  assert.equal(after.bodyText, 'hello');
  assert.equal(counts.connections, 1, 'HEAD, 204, 304 and 1xx all leave the socket reusable');
});

test('a POST body is sent with its length; a body read to the end of the connection', async (t) => {
  const { url } = await countingServer(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/until-close') {
        // No Content-Length, not chunked: the body ends with the connection.
        res.socket!.end(`HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${'z'.repeat(3000)}`);
        return;
      }
      res.end(JSON.stringify({ length: req.headers['content-length'], body: Buffer.concat(chunks).toString() }));
    });
  });
  const dispatcher = lean(t);
  const post = await sendRequest(dispatcher, { method: 'POST', url: `${url}/p`, headers: { 'content-type': 'application/json' }, body: '{"é":1}' }, OPTIONS);
  assert.deepEqual(JSON.parse(post.bodyText!), { length: String(Buffer.byteLength('{"é":1}')), body: '{"é":1}' });
  const untilClose = await sendRequest(dispatcher, get(`${url}/until-close`), OPTIONS);
  assert.equal(untilClose.error, null, untilClose.message);
  assert.equal(untilClose.bytes, 3000);
});

test('every malformed response gets the same error code and reason from the lean client as from undici', async (t) => {
  const raw = await startRawServer();
  t.after(() => raw.close());
  const undici = createDispatcher(TIMEOUTS, { lean: false });
  t.after(() => undici.close());
  const dispatcher = lean(t);
  for (const name of Object.keys(RAW_RESPONSES)) {
    const theirs = await sendRequest(undici, get(`${raw.url}/${name}`), OPTIONS);
    const ours = await sendRequest(dispatcher, get(`${raw.url}/${name}`), OPTIONS);
    assert.equal(ours.error, 'protocol', `${name}: ${ours.error} ${ours.message}`);
    assert.equal(ours.error, theirs.error, name);
    assert.equal(ours.message, theirs.message, name);
  }
});

test('faults: reset before headers, reset mid-body, a body longer than its Content-Length, bad status line', async (t) => {
  const faults = await startFaultServer();
  t.after(() => faults.close());
  const dispatcher = lean(t);
  const before = await sendRequest(dispatcher, get(`${faults.url}/reset-before-headers`), OPTIONS);
  assert.equal(before.error, 'conn_reset', before.message);
  const mid = await sendRequest(dispatcher, get(`${faults.url}/reset-mid-body`), OPTIONS);
  assert.equal(mid.error, 'conn_reset', mid.message);
  assert.equal(mid.status, 200);
  const badStatus = await sendRequest(dispatcher, get(`${faults.url}/bad-status-line`), OPTIONS);
  assert.equal(badStatus.error, 'protocol', badStatus.message);

  const teardown = new Teardown();
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA BYTES'));
  });
  teardown.track(server);
  const url = `http://127.0.0.1:${await listen(server)}`;
  t.after(() => teardown.close(server));
  const undici = createDispatcher(TIMEOUTS, { lean: false });
  t.after(() => undici.close());
  const theirs = await sendRequest(undici, get(url), OPTIONS);
  const ours = await sendRequest(dispatcher, get(url), OPTIONS);
  assert.deepEqual([ours.error, ours.status, ours.bodyText], [theirs.error, theirs.status, theirs.bodyText], 'the declared body, as undici reads it');
});

test('abort mid-body (a body timeout) ends the request and the socket; connect refused; a header undici refuses', async (t) => {
  const faults = await startFaultServer();
  t.after(() => faults.close());
  const dispatcher = lean(t);
  const slow = await sendRequest(dispatcher, get(`${faults.url}/slow-body?every=1000`), { ...OPTIONS, timeouts: { ...TIMEOUTS, bodyMs: 150 } });
  assert.equal(slow.error, 'timeout_body', slow.message);
  assert.equal(slow.status, 200);
  const next = await sendRequest(dispatcher, get(`${faults.url}/ok`), OPTIONS);
  assert.equal(next.error, null, 'the next request gets a fresh socket');
  const refused = await sendRequest(dispatcher, get(`${await closedPortUrl()}/x`), OPTIONS);
  assert.equal(refused.error, 'conn_refused', refused.message);
  const badHeader = await sendRequest(dispatcher, { method: 'GET', url: `${faults.url}/ok`, headers: { 'x-a': 'a\r\nx-b: b' } }, OPTIONS);
  assert.equal(badHeader.error, 'protocol', badHeader.message);
  assert.match(badHeader.message ?? '', /invalid x-a header/);
});

test('undici serves what the lean client does not: an old-style handler (undici request()) and https', async (t) => {
  const { url } = await countingServer(t, (req, res) => {
    req.resume();
    res.end('{"hits":1}');
  });
  const dispatcher = lean(t);
  const { request } = await import('undici');
  const response = await request(`${url}/stats`, { dispatcher });
  assert.equal(await response.body.text(), '{"hits":1}');
  // compose (warm-up uses it) comes from undici's base class.
  const composed = dispatcher.compose((dispatch) => (opts, handler) => dispatch({ ...opts, path: '/rewritten' }, handler));
  assert.equal((await sendRequest(composed, get(`${url}/x`), OPTIONS)).status, 200);
  const tls = await startSelfSignedTlsServer();
  if (!tls) return t.diagnostic('openssl is not installed: https part skipped');
  t.after(() => tls.close());
  const insecure = createDispatcher(TIMEOUTS, { insecure: true });
  assert.ok(insecure instanceof LeanDispatcher);
  t.after(() => insecure.close());
  const outcome = await sendRequest(insecure, get(`${tls.url}/ok`), OPTIONS);
  assert.equal(outcome.status, 200, outcome.message);
});
