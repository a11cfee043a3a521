/**
 * OvsdbClient: one RFC 7047 JSON-RPC connection to ovsdb-server.
 *
 * Contract
 * - `OvsdbClient.connect(connection)` takes `[ovs] ovsdb_connection` (`unix:PATH`,
 *   `tcp:HOST:PORT`; see ovsdb-remote.ts) and resolves once the socket is connected.
 *   The constructor takes any Duplex stream instead (tests use an in-memory peer).
 * - Messages are JSON objects back to back without delimiter (ovsdb-framing.ts);
 *   a peer that sends anything else, or a message over `maxMessageBytes`, gets the
 *   connection dropped with an {@link OvsdbProtocolError}.
 * - The server's `echo` requests are answered at once (ovsdb-server sends them on
 *   TCP remotes after its inactivity probe interval, 5 s by default, and drops
 *   clients that stay silent). With `probeIntervalMs` the client probes the server
 *   the same way and drops a connection whose peer does not answer.
 * - `request()` rejects with {@link OvsdbRpcError} when the server answers with an
 *   `error`, {@link OvsdbTimeoutError} after `timeoutMs` (the connection stays up; a
 *   late reply is ignored), {@link OvsdbConnectionError} when the connection closes
 *   first. `transact()` also rejects with {@link OvsdbTransactionError} when an
 *   operation (or the commit) failed.
 * - `update` notifications are emitted as `'update'(monitorId, tableUpdates)`
 *   synchronously, in stream order; a reply and the updates that follow it in the
 *   stream may be emitted before the awaiting code of the reply runs, so a monitor
 *   user must listen before it sends `monitor` (OvsdbMonitor does).
 * - `'close'(reason)` is emitted exactly once; `reason` is undefined after
 *   `close()`, otherwise the {@link OvsdbConnectionError} that ended it. All pending
 *   requests are rejected at that moment. Timers never outlive the connection.
 */
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logging/logger.js';
import { silentLogger } from '../../logging/logger.js';
import { systemClock, type Clock, type TimerHandle } from '../../reconcile/clock.js';
import {
  OvsdbConnectionError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
} from './ovsdb-errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, JsonFramingError, JsonMessageSplitter } from './ovsdb-framing.js';
import { parseOvsdbRemote } from './ovsdb-remote.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One row of a monitor update: `old` for delete/modify, `new` for initial/insert/modify. */
export interface OvsdbRowUpdate {
  old?: Record<string, unknown>;
  new?: Record<string, unknown>;
}

/** `{ table: { rowUuid: rowUpdate } }` as in RFC 7047 §4.1.6. */
export type OvsdbTableUpdates = Record<string, Record<string, OvsdbRowUpdate>>;

export interface OvsdbMonitorSelect {
  initial?: boolean;
  insert?: boolean;
  delete?: boolean;
  modify?: boolean;
}

export interface OvsdbMonitorRequest {
  columns?: string[];
  select?: OvsdbMonitorSelect;
}

/** A transact operation (RFC 7047 §5.2), e.g. `{ op: 'select', table: 'Bridge', where: [] }`. */
export type OvsdbOperation = { op: string } & Record<string, unknown>;

export interface OvsdbClientOptions {
  logger?: Logger;
  /** Bound of one incoming message. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Default timeout of every request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Echo the server after this long without incoming traffic; drop the connection if unanswered within the same time. 0 (default): off. */
  probeIntervalMs?: number;
  clock?: Clock;
}

export interface OvsdbConnectOptions extends OvsdbClientOptions {
  /** Default 10 s. */
  connectTimeoutMs?: number;
}

export interface OvsdbRequestOptions {
  timeoutMs?: number;
}

export interface OvsdbClientEvents {
  update: [monitorId: JsonValue, updates: OvsdbTableUpdates];
  /** The server cancelled a monitor (e.g. its database was converted or removed). */
  'monitor-canceled': [monitorId: JsonValue];
  close: [reason: OvsdbConnectionError | undefined];
}

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export class OvsdbClient extends EventEmitter<OvsdbClientEvents> {
  /** The connection string (or a label for a test stream), used in errors and logs. */
  readonly connection: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly splitter: JsonMessageSplitter;
  private readonly requestTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private done = false;
  private lastReceived: number;
  private probeTimer: TimerHandle | undefined;
  private probing = false;
  /** Resolves with the close reason once the connection is closed. */
  readonly closed: Promise<OvsdbConnectionError | undefined>;
  private resolveClosed!: (reason: OvsdbConnectionError | undefined) => void;

  /** Connects to `unix:PATH` or `tcp:HOST:PORT`. Rejects with OvsdbConfigError or OvsdbConnectionError. */
  static async connect(connection: string, opts: OvsdbConnectOptions = {}): Promise<OvsdbClient> {
    const remote = parseOvsdbRemote(connection);
    const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const socket: Socket = remote.kind === 'unix'
      ? createConnection({ path: remote.path })
      : createConnection({ host: remote.host, port: remote.port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new OvsdbConnectionError(connection, `connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnect = (): void => { cleanup(); resolve(); };
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(new OvsdbConnectionError(connection, `connect failed: ${err.message}`, { cause: err }));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('error', onError);
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
    });
    if (remote.kind === 'tcp') {
      socket.setNoDelay(true);
      // A peer that vanished without FIN is otherwise noticed only by the probe.
      socket.setKeepAlive(true, 10_000);
    }
    return new OvsdbClient(socket, { ...opts, connection });
  }

  constructor(private readonly stream: Duplex, opts: OvsdbClientOptions & { connection: string }) {
    super();
    this.connection = opts.connection;
    this.log = (opts.logger ?? silentLogger()).child({ component: 'ovsdb-client' });
    this.clock = opts.clock ?? systemClock;
    this.splitter = new JsonMessageSplitter(opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.probeIntervalMs = opts.probeIntervalMs ?? 0;
    this.lastReceived = this.clock.now();
    this.closed = new Promise((res) => { this.resolveClosed = res; });
    stream.on('data', (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.on('error', (err: Error) => this.finish(new OvsdbConnectionError(this.connection, err.message, { cause: err })));
    stream.on('end', () => this.finish(new OvsdbConnectionError(this.connection, 'connection closed by peer')));
    stream.on('close', () => this.finish(new OvsdbConnectionError(this.connection, 'connection closed')));
    this.scheduleProbe();
  }

  get isClosed(): boolean {
    return this.done;
  }

  /** Sends one request; resolves with its `result`. See the module comment for the failures. */
  request(method: string, params: readonly unknown[], opts: OvsdbRequestOptions = {}): Promise<unknown> {
    if (this.done) return Promise.reject(new OvsdbConnectionError(this.connection, `${method}: connection is closed`));
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.pending.delete(id)) reject(new OvsdbTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ method, params, id });
    });
  }

  /** RFC 7047 `list_dbs`. */
  async listDbs(opts?: OvsdbRequestOptions): Promise<string[]> {
    const r = await this.request('list_dbs', [], opts);
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) throw this.badReply('list_dbs', r);
    return r;
  }

  /** RFC 7047 `echo`: a round trip; resolves with what the server echoed. */
  echo(payload: readonly unknown[] = [], opts?: OvsdbRequestOptions): Promise<unknown> {
    return this.request('echo', payload, opts);
  }

  /**
   * RFC 7047 `transact`. Resolves with the per-operation results; rejects with
   * {@link OvsdbTransactionError} if any operation or the commit failed.
   */
  async transact(db: string, ops: readonly OvsdbOperation[], opts?: OvsdbRequestOptions): Promise<unknown[]> {
    const r = await this.request('transact', [db, ...ops], opts);
    if (!Array.isArray(r)) throw this.badReply('transact', r);
    const i = r.findIndex((x) => isObject(x) && x['error'] !== undefined && x['error'] !== null);
    if (i >= 0) {
      const e = r[i] as Record<string, unknown>;
      throw new OvsdbTransactionError(i, e['error'], typeof e['details'] === 'string' ? e['details'] : undefined, r);
    }
    return r;
  }

  /**
   * RFC 7047 `monitor`: resolves with the initial rows (as table-updates with `new`
   * only). Later changes arrive as `'update'` events with the same `monitorId`.
   */
  async monitor(db: string, monitorId: JsonValue, requests: Record<string, OvsdbMonitorRequest | OvsdbMonitorRequest[]>, opts?: OvsdbRequestOptions): Promise<OvsdbTableUpdates> {
    const r = await this.request('monitor', [db, monitorId, requests], opts);
    if (!isTableUpdates(r)) throw this.badReply('monitor', r);
    return r;
  }

  /** RFC 7047 `monitor_cancel`. */
  async monitorCancel(monitorId: JsonValue, opts?: OvsdbRequestOptions): Promise<void> {
    await this.request('monitor_cancel', [monitorId], opts);
  }

  /** Closes the connection; pending requests reject with OvsdbConnectionError. Idempotent. */
  close(): void {
    this.finish(undefined);
  }

  private send(msg: Record<string, unknown>): void {
    // A write after the peer closed surfaces as a stream 'error', which finishes us.
    this.stream.write(JSON.stringify(msg));
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    this.lastReceived = this.clock.now();
    let messages: unknown[];
    try {
      messages = this.splitter.push(chunk);
    } catch (err) {
      const detail = err instanceof JsonFramingError ? err.message : String(err);
      this.finish(new OvsdbProtocolError(this.connection, detail, { cause: err }));
      return;
    }
    for (const m of messages) {
      if (this.done) return;
      this.onMessage(m);
    }
  }

  private onMessage(m: unknown): void {
    if (!isObject(m)) {
      this.finish(new OvsdbProtocolError(this.connection, 'a message is not a JSON object'));
      return;
    }
    const method = m['method'];
    if (typeof method === 'string') {
      const params = Array.isArray(m['params']) ? (m['params'] as unknown[]) : [];
      const id = m['id'];
      if (id === null || id === undefined) this.onNotification(method, params);
      else this.onServerRequest(method, params, id);
      return;
    }
    if ('id' in m && ('result' in m || 'error' in m)) {
      this.onResponse(m);
      return;
    }
    this.finish(new OvsdbProtocolError(this.connection, `neither a request, a notification nor a response: ${JSON.stringify(m).slice(0, 120)}`));
  }

  private onServerRequest(method: string, params: unknown[], id: unknown): void {
    if (method === 'echo') {
      this.send({ id, result: params, error: null });
      return;
    }
    this.log.debug({ method }, 'ovsdb server sent an unknown request');
    this.send({ id, result: null, error: 'unknown method' });
  }

  private onNotification(method: string, params: unknown[]): void {
    switch (method) {
      case 'update': {
        const [monitorId, updates] = params;
        if (!isTableUpdates(updates)) {
          this.finish(new OvsdbProtocolError(this.connection, 'update notification without table-updates'));
          return;
        }
        this.emitSafely('update', (monitorId ?? null) as JsonValue, updates);
        return;
      }
      case 'monitor_canceled':
        this.emitSafely('monitor-canceled', (params[0] ?? null) as JsonValue);
        return;
      default:
        // locked/stolen (we take no locks), update2/update3 (we never send monitor_cond).
        this.log.debug({ method }, 'ovsdb notification ignored');
    }
  }

  private onResponse(m: Record<string, unknown>): void {
    const id = m['id'];
    const p = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!p || typeof id !== 'number') {
      // A reply to a request that already timed out.
      this.log.debug({ id }, 'ovsdb reply to no pending request');
      return;
    }
    this.pending.delete(id);
    this.clock.clearTimeout(p.timer);
    const error = m['error'];
    if (error !== null && error !== undefined) {
      // ovsdb-server sends {"error": "<code>", "details": "<text>"}.
      const code = isObject(error) && typeof error['error'] === 'string' ? error['error'] : error;
      const details = isObject(error) && typeof error['details'] === 'string' ? error['details'] : undefined;
      p.reject(new OvsdbRpcError(p.method, code, details));
      return;
    }
    p.resolve(m['result']);
  }

  /**
   * Calls every listener, each in its own try: one that throws is logged and does not
   * keep the others from running (EventEmitter.emit would stop at the first throw).
   */
  private emitSafely<K extends keyof OvsdbClientEvents>(event: K, ...args: OvsdbClientEvents[K]): void {
    for (const listener of this.rawListeners(event)) {
      try {
        // rawListeners: `once` wrappers remove themselves when called.
        Reflect.apply(listener as (...a: unknown[]) => unknown, this, args);
      } catch (err) {
        this.log.error({ err, event }, 'ovsdb client listener threw');
      }
    }
  }


  private scheduleProbe(): void {
    if (this.probeIntervalMs <= 0 || this.done) return;
    this.probeTimer = this.clock.setTimeout(() => this.probe(), this.probeIntervalMs);
  }

  private probe(): void {
    this.probeTimer = undefined;
    if (this.done) return;
    if (this.probing || this.clock.now() - this.lastReceived < this.probeIntervalMs) {
      this.scheduleProbe();
      return;
    }
    this.probing = true;
    this.echo([], { timeoutMs: this.probeIntervalMs }).then(
      () => { this.probing = false; },
      (err: unknown) => {
        this.probing = false;
        if (err instanceof OvsdbTimeoutError) {
          this.finish(new OvsdbConnectionError(this.connection, `no reply to an echo probe within ${this.probeIntervalMs} ms`));
        }
      },
    );
    this.scheduleProbe();
  }

  private badReply(method: string, r: unknown): OvsdbProtocolError {
    return new OvsdbProtocolError(this.connection, `${method}: unexpected result ${JSON.stringify(r)?.slice(0, 120)}`);
  }

  private finish(reason: OvsdbConnectionError | undefined): void {
    if (this.done) return;
    this.done = true;
    if (this.probeTimer !== undefined) this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    const err = reason ?? new OvsdbConnectionError(this.connection, 'connection closed by client');
    for (const p of this.pending.values()) {
      this.clock.clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.stream.destroy();
    this.resolveClosed(reason);
    this.emitSafely('close', reason);
  }
}

function isTableUpdates(v: unknown): v is OvsdbTableUpdates {
  if (!isObject(v)) return false;
  return Object.values(v).every((t) => isObject(t) && Object.values(t).every((r) => isObject(r) && (r['old'] === undefined || isObject(r['old'])) && (r['new'] === undefined || isObject(r['new']))));
}
