import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closedPortUrl, startCountingServer, startFaultServer, type TestServer } from './helpers/servers.js';

/** The innermost cause's code or message, which is what fetch's "fetch failed" wraps. */
function rootCause(error: unknown): string {
  let current: any = error;
  for (let depth = 0; depth < 5 && current?.cause; depth++) current = current.cause;
  return `${current?.code ?? ''} ${current?.message ?? ''}`;
}

describe('test servers', () => {
  it('counting server counts requests and maxInFlight', async (t) => {
    const server = await startCountingServer({ delayMs: 50, status: 201, body: 'hi' });
    t.after(() => server.close());
    const replies = await Promise.all(
      [1, 2, 3].map(async () => {
        const res = await fetch(`${server.url}/any`);
        return { status: res.status, text: await res.text() };
      }),
    );
    assert.deepEqual(replies, Array(3).fill({ status: 201, text: 'hi' }));
    assert.equal(server.requests, 3);
    assert.equal(server.maxInFlight, 3);
    assert.equal(server.inFlight, 0);
  });

  describe('fault server', () => {
    let server: TestServer;
    const url = (path: string) => `${server.url}${path}`;

    it('answers each fault route', async (t) => {
      server = await startFaultServer();
      t.after(() => server.close());

      await t.test('/ok', async () => {
        const res = await fetch(url('/ok'));
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { ok: true });
      });

      await t.test('/reset-before-headers fails the request', async () => {
        const error = await fetch(url('/reset-before-headers')).catch((e: unknown) => e);
        assert.ok(error instanceof Error);
        assert.match(rootCause(error), /ECONNRESET|other side closed|socket/i);
      });

      await t.test('/reset-mid-body fails while reading the body', async () => {
        const res = await fetch(url('/reset-mid-body'));
        assert.equal(res.status, 200);
        await assert.rejects(res.text());
      });

      await t.test('/hang never answers', async () => {
        await assert.rejects(fetch(url('/hang'), { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
      });

      await t.test('/slow-body drips bytes', async () => {
        const controller = new AbortController();
        const res = await fetch(url('/slow-body'), { signal: controller.signal });
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        const first = await reader.read();
        assert.equal(first.done, false);
        assert.equal(Buffer.from(first.value!).toString(), '.');
        controller.abort();
        await reader.closed.catch(() => undefined);
      });

      await t.test('/500, /503, /429 with Retry-After, /status/:code', async () => {
        assert.equal((await fetch(url('/500'))).status, 500);
        assert.equal((await fetch(url('/503'))).status, 503);
        const limited = await fetch(url('/429'));
        assert.equal(limited.status, 429);
        assert.equal(limited.headers.get('retry-after'), '1');
        assert.equal((await fetch(url('/status/418'))).status, 418);
        assert.equal((await fetch(url('/status/204'))).status, 204);
      });

      await t.test('/bad-json is declared JSON but is not', async () => {
        const res = await fetch(url('/bad-json'));
        assert.equal(res.headers.get('content-type'), 'application/json');
        await assert.rejects(res.json(), SyntaxError);
      });

      await t.test('/big?bytes=N sends N bytes', async () => {
        const bytes = 200_000;
        const body = await (await fetch(url(`/big?bytes=${bytes}`))).arrayBuffer();
        assert.equal(body.byteLength, bytes);
        assert.equal((await fetch(url('/big?bytes=-1'))).status, 400);
      });

      await t.test('/redirect-loop redirects to itself', async () => {
        const res = await fetch(url('/redirect-loop'), { redirect: 'manual' });
        assert.equal(res.status, 302);
        assert.equal(res.headers.get('location'), '/redirect-loop');
        await assert.rejects(fetch(url('/redirect-loop')));
      });

      await t.test('/bad-status-line is a protocol error', async () => {
        const error = await fetch(url('/bad-status-line')).catch((e: unknown) => e);
        assert.ok(error instanceof Error);
        assert.match(rootCause(error), /HPE_|parse|invalid/i);
      });

      await t.test('/echo returns what it received', async () => {
        const res = await fetch(url('/echo?x=1'), { method: 'PUT', headers: { 'x-test': 'yes' }, body: 'hello' });
        const echo = (await res.json()) as { method: string; url: string; headers: Record<string, string>; body: string };
        assert.equal(echo.method, 'PUT');
        assert.equal(echo.url, '/echo?x=1');
        assert.equal(echo.headers['x-test'], 'yes');
        assert.equal(echo.body, 'hello');
      });
    });

    it('close() ends with hung and dripping requests open', async () => {
      const faults = await startFaultServer();
      const hung = fetch(`${faults.url}/hang`).catch((e: unknown) => e);
      // fetch resolves on headers, so this response is mid-body when the server closes.
      const dripping = await fetch(`${faults.url}/slow-body`);
      const rest = dripping.text().catch((e: unknown) => e);
      await faults.close();
      assert.ok((await hung) instanceof Error);
      assert.ok((await rest) instanceof Error);
    });
  });

  it('closedPortUrl refuses connections', async () => {
    const error = await fetch(await closedPortUrl()).catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.match(rootCause(error), /ECONNREFUSED/);
  });
});

it('the realistic API: login gives a token and a session cookie, each opens its endpoint; the CDN misses then hits; the limit answers 429', async () => {
  const { startRealisticApi } = await import('./helpers/realistic-api.js');
  const api = await startRealisticApi({ rateLimit: 2, rateWindowMs: 60_000 });
  try {
    const login = await fetch(`${api.url}/login`, { method: 'POST', body: JSON.stringify({ user: 'u1', password: 'secret' }) });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal((await fetch(`${api.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await fetch(`${api.url}/api/me`, { headers: { cookie } })).status, 401);
    assert.equal((await fetch(`${api.url}/api/cart`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${api.url}/api/cart`)).status, 401);
    const cache = [];
    for (let i = 0; i < 2; i++) cache.push((await fetch(`${api.url}/cdn/products/7`)).headers.get('x-cache'));
    assert.deepEqual(cache, ['MISS', 'HIT']);
    const limited = [];
    for (let i = 0; i < 3; i++) limited.push((await fetch(`${api.url}/limited`)).status);
    assert.deepEqual(limited, [200, 200, 429]);
    assert.equal(api.stats.logins, 1);
    assert.deepEqual(api.stats.cdn, { hits: 1, misses: 1, bypass: 0 });
  } finally {
    await api.close();
  }
});
