/**
 * ControlServer: node:http on the daemon's unix socket (mode 0600: root only), and
 * optionally on a TCP address that serves GET /metrics and nothing else.
 *
 * HTTP hygiene, because a confused client must not hurt the daemon: bodies are
 * read and discarded up to `bodyLimit` (a larger one gets 413 and the connection is
 * closed), malformed requests get a JSON 400 instead of node's bare one, slow clients
 * are cut by request/header timeouts, and connections are capped.
 */
import { chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logging/logger.js';
import { parseListenAddress, type ListenAddress } from '../config/schemas/nucleon.js';
import { ControlError, ControlStartError, errorBody } from './errors.js';
import { handleRequest, type ControlResponse, type Listener, type RouteContext } from './routes.js';
import { inodeOf, prepareSocketPath, removeIfOurs } from './socket-file.js';

export interface ControlServerOptions {
  socketPath: string;
  /** `host:port` / `[v6]:port` for a TCP /metrics listener; unset: none. */
  metricsAddress?: string | undefined;
  context: RouteContext;
  logger?: Logger | undefined;
  /** Bytes of request body accepted (and discarded). Default 64 KiB. */
  bodyLimit?: number;
  socketMode?: number;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

export class ControlServer {
  private readonly opts: ControlServerOptions;
  private readonly log: Logger | undefined;
  private readonly unixServer: Server;
  private tcpServer: Server | undefined;
  private socketIno: number | undefined;
  private tcpAddress: ListenAddress | undefined;

  constructor(opts: ControlServerOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.unixServer = this.makeServer('control');
    if (opts.metricsAddress) {
      try {
        this.tcpAddress = parseListenAddress(opts.metricsAddress);
      } catch (err) {
        throw new ControlStartError(`[nucleon] metrics_address = "${opts.metricsAddress}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  async listen(): Promise<void> {
    const path = this.opts.socketPath;
    const stale = await prepareSocketPath(path);
    if (stale === 'removed-stale') this.log?.info({ socket: path }, 'removed a stale control socket nobody answered on');
    await listenOn(this.unixServer, { path }, `control socket ${path}`);
    // umask already keeps others out on most systems; 0600 makes it independent of it.
    chmodSync(path, this.opts.socketMode ?? 0o600);
    this.socketIno = inodeOf(path);
    if (this.tcpAddress) {
      this.tcpServer = this.makeServer('metrics');
      try {
        await listenOn(this.tcpServer, { host: this.tcpAddress.host, port: this.tcpAddress.port }, `metrics address ${this.opts.metricsAddress}`);
      } catch (err) {
        await this.close();
        throw err;
      }
    }
    this.log?.info({ socket: path, metrics_address: this.opts.metricsAddress ?? null }, 'control socket listening');
  }

  /** The bound TCP port (useful with port 0 in tests). */
  get metricsPort(): number | undefined {
    const a = this.tcpServer?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async close(): Promise<void> {
    const servers = [this.unixServer, this.tcpServer].filter((s): s is Server => s !== undefined && s.listening);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      // Idle keep-alive connections would hold close() open.
      s.closeAllConnections();
    })));
    removeIfOurs(this.opts.socketPath, this.socketIno);
    this.socketIno = undefined;
  }

  private makeServer(listener: Listener): Server {
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 }, (req, res) => this.onRequest(listener, req, res));
    server.maxConnections = 64;
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => rejectMalformed(err, socket));
    // After listen() an 'error' without a listener would crash the daemon; the socket is not worth that.
    server.on('error', (err) => this.log?.error({ err, listener }, 'control server error'));
    return server;
  }

  private onRequest(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const limit = this.opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    const tooLarge = (): void => send(res, bodyTooLarge(limit), true);
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && !over) {
        over = true;
        tooLarge();
      }
    });
    req.on('end', () => {
      if (over) return;
      const started = Date.now();
      handleRequest(method, url, this.opts.context, listener).then(
        (r) => {
          this.log?.debug({ method, url: url.slice(0, 200), status: r.status, durationMs: Date.now() - started }, 'control request');
          send(res, r, false);
        },
        // handleRequest does not reject; this is the last guard for "never throws out of a handler".
        () => send(res, { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"error":"INTERNAL","message":"internal error"}\n' }, false),
      );
    });
  }
}

function bodyTooLarge(limit: number): ControlResponse {
  const e = new ControlError('BODY_TOO_LARGE', `request body larger than ${limit} bytes; the control socket takes no bodies`);
  return { status: e.status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(errorBody(e)) + '\n' };
}

function send(res: ServerResponse, r: ControlResponse, close: boolean): void {
  if (res.headersSent || res.destroyed) return;
  try {
    res.writeHead(r.status, { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)), ...(close ? { connection: 'close' } : {}) });
    res.end(r.body);
  } catch {
    res.destroy();
  }
}

/** node's default answer to unparsable HTTP is a bare 400; ours says why, in the usual JSON. */
function rejectMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({ error: 'BAD_REQUEST', message: `malformed HTTP request (${err.code ?? 'parse error'})` }) + '\n';
  socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function listenOn(server: Server, where: { path: string } | { host: string; port: number }, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(new ControlStartError(`cannot listen on ${what}: ${err.code ?? err.message}`));
    server.once('error', onError);
    server.listen(where, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
