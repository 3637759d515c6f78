/**
 * A lean keep-alive HTTP/1.1 client for plain `http:` origins: the part of undici's Dispatcher that
 * http.ts uses (dispatch with a new-style handler, close, destroy; compose comes from undici's base
 * class), so redirects, deadlines, decoding, cookies and timing stay in http.ts. It exists because
 * undici's dispatch and parse path cost about as much CPU per request as autocannon's whole process
 * (issue 12): here a request is one head string and one socket write, the response is parsed by
 * Node's own llhttp binding reused per socket, and the only per-request object is the request itself
 * (which is also its controller).
 *
 * Anything else goes to `fallback` (undici, created on first use): old-style handlers (undici's
 * `request()`), other schemes, streamed bodies, upgrades and CONNECT.
 *
 * Per origin: sockets grow to the number of requests in flight (one request per socket), are reused
 * while the server keeps them alive, and are closed after `keepAliveMs` idle (or the server's
 * `Keep-Alive: timeout` less 2 s, as undici does). A request whose socket the server closed before
 * it answered fails (`conn_reset`) and is never sent again behind troupe's back.
 */
import { connect, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import {
  H1AbortedError,
  H1ConnectTimeoutError,
  H1DestroyedError,
  H1SocketError,
  HTTPParser,
  MAX_HEADER_SIZE,
  headerObject,
  keepAliveHintMs,
  parserError,
  requestHead,
  type HeaderInput,
  type LlhttpError,
  type LlhttpParser,
} from './h1-wire.js';

export interface LeanDispatcherOptions {
  connectTimeoutMs: number;
  /** How long an idle socket is kept open (undici's keepAliveTimeout). */
  keepAliveMs: number;
  /** The longest a server's Keep-Alive hint may keep a socket open (undici's keepAliveMaxTimeout). */
  keepAliveMaxMs: number;
  /** What serves the requests this client does not (made on first use). */
  fallback: () => Dispatcher;
}

const NO_TRAILERS = Object.freeze({});
const CONTEXT = Object.freeze({});
/** undici's keepAliveTimeoutThreshold: a server's hint is trusted to this margin. */
const HINT_MARGIN_MS = 2000;

type Handler = Dispatcher.DispatchHandler;
/** A handler that wants to know when the bytes of its response were read, before they are parsed. */
type ReadTimedHandler = Handler & { onRead?(): void };

// undici's Dispatcher base class alone (EventEmitter + compose), ~6 ms, not the whole package (~140 ms):
// the fallback loads that when a request needs it. A path inside undici 7 (pinned).
const DispatcherBase = createRequire(import.meta.url)('undici/lib/dispatcher/dispatcher.js') as typeof Dispatcher;

/**
 * undici may add to a request's headers object (a proxy's credentials, for one); a constant request's
 * headers are frozen (http.ts shares one copy so this client can reuse the head it encoded), so
 * undici gets a copy of its own.
 */
function unfrozen(opts: Dispatcher.DispatchOptions): Dispatcher.DispatchOptions {
  return opts.headers && Object.isFrozen(opts.headers) ? { ...opts, headers: { ...(opts.headers as Record<string, string>) } } : opts;
}

export class LeanDispatcher extends DispatcherBase {
  /** Reads a request's headers without changing them: http.ts may hand it a shared frozen object. */
  readonly sharesHeaders = true;
  private readonly pools = new Map<string, OriginPool>();
  private other: Dispatcher | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;
  inFlight = 0;
  destroyed = false;

  constructor(readonly options: LeanDispatcherOptions) {
    super();
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Handler): boolean {
    const origin = typeof opts.origin === 'string' ? opts.origin : opts.origin?.toString();
    const body = opts.body;
    if (
      typeof handler.onRequestStart !== 'function' || origin === undefined || !origin.startsWith('http:')
      || opts.upgrade || opts.method === 'CONNECT'
      || (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))
    ) return this.fallback().dispatch(unfrozen(opts), handler);
    const request = new H1Request(handler, opts.method, typeof body === 'string' ? Buffer.from(body) : (body as Uint8Array | null | undefined) ?? null);
    try {
      if (this.destroyed || this.closing) throw new H1DestroyedError();
      const pool = this.poolFor(origin);
      request.head = pool.headFor(opts.method, opts.path, opts.headers as HeaderInput, request.body?.length ?? 0);
      this.inFlight++;
      request.pool = pool;
      pool.send(request);
    } catch (err) {
      handler.onResponseError?.(request, err as Error);
    }
    return true;
  }

  private poolFor(origin: string): OriginPool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new OriginPool(this, new URL(origin));
      this.pools.set(origin, pool);
    }
    return pool;
  }

  private fallback(): Dispatcher {
    return (this.other ??= this.options.fallback());
  }

  /** A request ended (either way). */
  settled(): void {
    if (--this.inFlight === 0 && this.drained) this.drained();
  }

  /** Idle sockets are closed by one sweep a second, not by a timer per socket or request. */
  watchIdle(): void {
    this.sweep ??= setInterval(() => {
      const now = Date.now();
      let idle = 0;
      for (const pool of this.pools.values()) idle += pool.closeIdle(now);
      if (idle === 0 && this.sweep) {
        clearInterval(this.sweep);
        this.sweep = null;
      }
    }, 1000).unref();
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      await this.shutDown(null);
      await this.other?.close();
    })();
    if (callback) void this.closing.then(callback);
    else return this.closing;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const done = (async () => {
      this.destroyed = true;
      await this.shutDown(typeof a === 'function' ? null : (a ?? null));
      await this.other?.destroy();
    })();
    if (callback) void done.then(callback);
    else return done;
  }

  private async shutDown(reason: Error | null): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    const closed: Promise<void>[] = [];
    for (const pool of this.pools.values()) closed.push(...pool.destroyAll(reason ?? new H1DestroyedError()));
    this.pools.clear();
    await Promise.all(closed);
  }
}

/** One request, and its controller (abort, pause, resume) as the handler sees it. */
class H1Request implements Dispatcher.DispatchController {
  head: string | Buffer = '';
  pool: OriginPool | null = null;
  connection: Connection | null = null;
  written = false;
  done = false;
  private abortReason: Error | null = null;
  private isPaused = false;

  constructor(readonly handler: Handler, readonly method: string, readonly body: Uint8Array | null) {}

  get aborted(): boolean {
    return this.abortReason !== null;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get reason(): Error | null {
    return this.abortReason;
  }

  abort(reason?: Error): void {
    if (this.done) return;
    this.abortReason = reason ?? new H1AbortedError();
    const connection = this.connection;
    // Before its head was written the socket is still clean; after, it carries a half-read answer.
    if (connection) {
      if (this.written) connection.destroy();
      else connection.detach(this);
    }
    this.fail(this.abortReason);
  }

  pause(): void {
    this.isPaused = true;
    this.connection?.socket.pause();
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.connection?.socket.resume();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.connection = null;
    this.pool?.owner.settled();
    this.handler.onResponseError?.(this, error);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.connection = null;
    this.pool?.owner.settled();
    this.handler.onResponseEnd?.(this, NO_TRAILERS);
  }

}

function cooled(pool: OriginPool, connection: Connection): void {
  pool.cooled(connection);
}

class OriginPool {
  readonly host: string;
  private readonly hostname: string;
  private readonly port: number;
  private readonly idle: Connection[] = [];
  readonly all = new Set<Connection>();
  /** Requests waiting for a socket that comes back from `release` on the next turn of the loop. */
  private readonly queued: H1Request[] = [];
  private cooling = 0;
  private lastHead: { headers: object; method: string; path: string; bodyLength: number; bytes: Buffer } | null = null;

  constructor(readonly owner: LeanDispatcher, url: URL) {
    this.host = url.host;
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === '' ? 80 : Number(url.port);
  }

  /**
   * The request head: for the same frozen headers object (a constant request, see request-builder.ts),
   * method, path and body length as the last request, the bytes written then (built and encoded once,
   * one buffer write instead of a string encoded per request); else built anew.
   */
  headFor(method: string, path: string, headers: HeaderInput, bodyLength: number): string | Buffer {
    const last = this.lastHead;
    if (last !== null && headers === last.headers && method === last.method && path === last.path && bodyLength === last.bodyLength) return last.bytes;
    const head = requestHead(method, path, this.host, headers, bodyLength);
    if (headers && !Array.isArray(headers) && Object.isFrozen(headers)) this.lastHead = { headers, method, path, bodyLength, bytes: Buffer.from(head, 'latin1') };
    return head;
  }

  send(request: H1Request): void {
    // Last in, first out: the sockets in use stay warm, the spare ones age out.
    let connection = this.idle.pop();
    while (connection && connection.closed) connection = this.idle.pop();
    if (connection) connection.start(request);
    // A socket released this turn is back on the next: wait for it rather than open one more.
    else if (this.cooling > this.queued.length) this.queued.push(request);
    else this.open(request);
  }

  /** A new socket for `request`. */
  open(request: H1Request): void {
    const connection = new Connection(this, connect({ host: this.hostname, port: this.port, noDelay: true }), this.owner.options.connectTimeoutMs);
    this.all.add(connection);
    connection.waiting = request;
    request.connection = connection;
  }

  /**
   * A socket whose response ended is reused only after one full turn of the event loop, as undici
   * does: the server's FIN (or RST) can come in the same read as the response's last bytes and is
   * seen only after this turn's microtasks, where the next request would already be written to it and
   * fail as "other side closed" (a server that ends every connection without saying so did this).
   */
  release(connection: Connection): void {
    this.cooling++;
    // Arguments, not a closure: one per response on the hot path.
    setImmediate(cooled, this, connection);
  }

  cooled(connection: Connection): void {
    this.cooling--;
    let request = this.queued.shift();
    while (request && request.done) request = this.queued.shift();
    if (connection.closed) {
      if (request) this.open(request);
      return;
    }
    if (request) return connection.start(request);
    connection.idleSince = Date.now();
    this.idle.push(connection);
    this.owner.watchIdle();
  }

  forget(connection: Connection): void {
    this.all.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** Closes the sockets idle past their limit; returns how many stay idle. */
  closeIdle(now: number): number {
    for (const connection of [...this.idle]) if (now - connection.idleSince >= connection.idleLimitMs) connection.destroy();
    return this.idle.length;
  }

  destroyAll(reason: Error): Promise<void>[] {
    const closed: Promise<void>[] = [];
    for (const request of this.queued.splice(0)) request.fail(reason);
    for (const connection of [...this.all]) {
      const request = connection.request ?? connection.waiting;
      if (!connection.socket.destroyed) closed.push(new Promise((resolve) => connection.socket.once('close', () => resolve())));
      connection.destroy();
      request?.fail(reason);
    }
    return closed;
  }
}

/** One socket, its parser (reused for every response on it) and the request in flight on it. */
class Connection {
  request: H1Request | null = null;
  /** The request that waits for this socket to connect. */
  waiting: H1Request | null = null;
  closed = false;
  idleSince = 0;
  idleLimitMs: number;
  private connected = false;
  private keepAlive = true;
  /** Final headers arrived and the body is being read. */
  private responding = false;
  private informational = false;
  private headersSoFar: string[] | null = null;
  private readonly parser: LlhttpParser;
  private connectTimer: NodeJS.Timeout | null;

  constructor(readonly pool: OriginPool, readonly socket: Socket, connectTimeoutMs: number) {
    this.idleLimitMs = pool.owner.options.keepAliveMs;
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {}, MAX_HEADER_SIZE, 0);
    parser[HTTPParser.kOnHeaders] = (headers: string[]) => (this.headersSoFar = this.headersSoFar ? this.headersSoFar.concat(headers) : headers);
    parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown, status: number, message: string, upgrade: boolean, keepAlive: boolean) =>
      this.onHeaders(headers, status, message, upgrade, keepAlive);
    parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
      const request = this.request;
      if (request && !this.informational) request.handler.onResponseData?.(request, chunk);
    };
    parser[HTTPParser.kOnMessageComplete] = () => this.onMessageComplete();
    this.parser = parser;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      this.fail(new H1ConnectTimeoutError(`Connect Timeout Error (attempted address: ${pool.host}, timeout: ${connectTimeoutMs}ms)`));
    }, connectTimeoutMs);
    socket.on('connect', () => {
      clearTimeout(this.connectTimer!);
      this.connectTimer = null;
      this.connected = true;
      const request = this.waiting;
      this.waiting = null;
      if (request && !request.done) this.start(request);
      else pool.release(this);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error: Error) => this.onSocketGone(error));
    socket.on('close', () => {
      this.onSocketGone(new H1SocketError('closed'));
      // Only here: destroy() may run inside one of the parser's own callbacks.
      this.parser.close();
    });
  }

  start(request: H1Request): void {
    this.request = request;
    request.connection = this;
    request.written = false;
    if (!this.socket.readableFlowing && this.connected) this.socket.resume();
    this.socket.ref();
    request.handler.onRequestStart?.(request, CONTEXT);
    if (request.done) return;
    request.written = true;
    const socket = this.socket;
    if (request.body && request.body.length > 0) {
      socket.cork();
      socket.write(request.head, 'latin1');
      socket.write(request.body);
      socket.uncork();
    } else socket.write(request.head, 'latin1');
  }

  /** The request was aborted before anything was written: the socket is still good for another. */
  detach(request: H1Request): void {
    if (this.waiting === request) this.waiting = null;
    if (this.request !== request) return;
    this.request = null;
    this.pool.release(this);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    // The time the bytes arrived is taken before they are parsed (http.ts: Exchange.onRead).
    const request = this.request;
    if (request !== null) (request.handler as ReadTimedHandler).onRead?.();
    let result: number | LlhttpError;
    try {
      result = this.parser.execute(chunk);
    } catch (err) {
      // A handler that threw inside a parser callback: the request fails, the process does not.
      return this.fail(err as Error);
    }
    if (typeof result !== 'number') this.fail(parserError(result));
  }

  private onHeaders(raw: string[] | undefined, status: number, message: string, upgrade: boolean, keepAlive: boolean): number {
    if (this.headersSoFar) {
      raw = raw ? this.headersSoFar.concat(raw) : this.headersSoFar;
      this.headersSoFar = null;
    }
    const request = this.request;
    // An answer nobody asked for (bytes after a complete response): the socket cannot be trusted.
    if (!request || this.closed) {
      this.destroy();
      return 1;
    }
    // undici's answers to a 100 Continue that was not asked for and to an unasked-for upgrade.
    if (status === 100 || status === 101 || upgrade) {
      this.fail(new H1SocketError(status === 100 ? 'bad response' : 'bad upgrade'));
      return 1;
    }
    const headers = headerObject(raw ?? []);
    if (status < 200) {
      this.informational = true;
      request.handler.onResponseStart?.(request, status, headers, message);
      return 1;
    }
    this.responding = true;
    // A status past 599 is a broken server (troupe fails the request as `protocol`): its connection is
    // not trusted with another request.
    this.keepAlive = status <= 599 && (keepAlive || (request.method === 'HEAD' && headers['connection'] === 'keep-alive'));
    const hint = keepAliveHintMs(headers['keep-alive']);
    if (hint !== null) {
      const limit = Math.min(hint - HINT_MARGIN_MS, this.pool.owner.options.keepAliveMaxMs);
      if (limit <= 0) this.keepAlive = false;
      else this.idleLimitMs = limit;
    }
    request.handler.onResponseStart?.(request, status, headers, message);
    return request.method === 'HEAD' ? 1 : 0;
  }

  private onMessageComplete(): void {
    if (this.informational) {
      this.informational = false;
      return;
    }
    const request = this.request;
    if (!request || this.closed) return;
    this.request = null;
    this.responding = false;
    if (this.keepAlive) {
      this.socket.unref();
      this.pool.release(this);
    } else this.destroy();
    request.end();
  }

  /**
   * The server's FIN. A response that said it would not keep the connection may be read to its end
   * (no Content-Length); a keep-alive one was cut (undici: "other side closed").
   */
  private onEnd(): void {
    if (this.closed) return;
    if (this.responding && !this.keepAlive) {
      const result = this.parser.finish();
      if (result !== undefined && typeof result !== 'number') return this.fail(parserError(result as LlhttpError));
    }
    this.onSocketGone(new H1SocketError('other side closed'));
  }

  private onSocketGone(error: Error): void {
    const request = this.request ?? this.waiting;
    this.request = null;
    this.waiting = null;
    this.destroy();
    if (!request || request.done) return;
    // Never sent again, whatever the method: the server may have acted on it, and troupe's count must
    // be the target's (undici 7 does the same: "other side closed", an idle close racing the request
    // is what a `retries: { on: [conn_reset] }` attempt is for, counted as one).
    request.fail(error);
  }

  private fail(error: Error): void {
    const request = this.request ?? this.waiting;
    this.request = null;
    this.waiting = null;
    this.destroy();
    request?.fail(error);
  }
}
