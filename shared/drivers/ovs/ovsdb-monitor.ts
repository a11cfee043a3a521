/**
 * OvsdbMonitor: a live, typed replica of Open_vSwitch Bridge, Port and Interface
 * rows, kept by one RFC 7047 `monitor` (the agent finds its ports by
 * `external_ids:iface-id` from it, never by polling).
 *
 * Contract
 * - `start()` connects, monitors, and resolves once the initial rows are applied.
 *   While ovsdb-server is unreachable it keeps retrying with backoff (an agent may
 *   start before OVS); it rejects only when `stop()` is called first, or when
 *   `startTimeoutMs` is set and passes (the monitor is then stopped).
 * - Events, emitted synchronously, in order:
 *   `'connected'` after each successful (re)monitor, then
 *   `'change'` with `resync: true` and the diff against the previous replica (at
 *   start: everything as added). It is emitted on every (re)connection even when
 *   the diff is empty, as a "you may have missed something, re-check" signal.
 *   `'change'` with `resync: false`: one per `update` message, holding every row
 *   that message added, changed or removed; messages without effect emit nothing.
 *   `'disconnected'` when an established connection is lost (not on `stop()`).
 * - Typical port life (ovs-vsctl add-port … -- set Interface … external_ids:iface-id=X):
 *   one message adds the Port and the Interface with `ofport` undefined and changes
 *   the Bridge's ports; ovs-vswitchd then assigns the OpenFlow port in its own
 *   transaction, which arrives as a second message with the Interface `changed`
 *   (ofport set, plus mac_in_use/admin_state/link_state). (ovsdb-server merges a
 *   monitor's pending changes when the client reads slowly; then `added` already
 *   has the ofport.) Consumers act on any added/changed row with an ofport and
 *   never assume it is, or is not, in `added`.
 * - On a lost connection (ovsdb-server restarted, socket dropped, protocol error,
 *   monitor cancelled, unanswered echo probe) it reconnects after `reconnectDelayMs`,
 *   doubling up to `maxReconnectDelayMs`, and re-monitors from scratch: the replica
 *   is replaced only once the new initial rows are in, so `snapshot()` keeps
 *   answering with the last known rows while disconnected.
 * - Logs once per state transition (connected, lost, first failed attempt, restored,
 *   stopped); the retries in between log at debug only.
 * - `stop()` closes the connection and clears every timer; no event follows.
 * - A listener that throws is logged and does not disturb the monitor.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../logging/logger.js';
import { systemClock, type Clock, type TimerHandle } from '../../reconcile/clock.js';
import { OvsdbClient, type OvsdbConnectOptions, type OvsdbTableUpdates } from './ovsdb-client.js';
import { OvsdbConnectionError, OvsdbProtocolError } from './ovsdb-errors.js';
import { parseOvsdbRemote } from './ovsdb-remote.js';
import { BRIDGE_COLUMNS, INTERFACE_COLUMNS, PORT_COLUMNS, type BridgeRow, type InterfaceRow, type PortRow } from './ovsdb-rows.js';
import { OvsdbTables, isEmptyChange, type ApplyResult, type OvsdbSnapshot, type OvsdbTablesChange } from './ovsdb-tables.js';

export type { BridgeRow, InterfaceRow, PortRow, LinkState } from './ovsdb-rows.js';
export type { OvsdbSnapshot, TableChange } from './ovsdb-tables.js';

export interface OvsdbChangeEvent extends OvsdbTablesChange {
  /** True for the full diff after a (re)connection; false for one update message. */
  resync: boolean;
}

export interface OvsdbDisconnectedEvent {
  /** Why the connection ended. */
  error: OvsdbConnectionError;
}

export interface OvsdbMonitorEvents {
  change: [OvsdbChangeEvent];
  connected: [];
  disconnected: [OvsdbDisconnectedEvent];
}

/** Opens a client; the default is {@link OvsdbClient.connect}. A port for tests. */
export type OvsdbConnector = (connection: string, opts: OvsdbConnectOptions) => Promise<OvsdbClient>;

export interface OvsdbMonitorOptions {
  /** `[ovs] ovsdb_connection`: `unix:PATH` or `tcp:HOST:PORT`. Checked in the constructor. */
  connection: string;
  logger: Logger;
  /** First retry delay after a failure or a lost connection. Default 500 ms. */
  reconnectDelayMs?: number;
  /** Backoff ceiling. Default 10 s. */
  maxReconnectDelayMs?: number;
  /** Timeout of connect and of the monitor request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Echo probe on a quiet connection (see OvsdbClient). Default 5000 ms; 0: off. */
  probeIntervalMs?: number;
  /** Reject `start()` (and stop) if no snapshot arrived within this long. Default: wait forever. */
  startTimeoutMs?: number;
  maxMessageBytes?: number;
  clock?: Clock;
  connect?: OvsdbConnector;
}

/** Database and monitor request the replica needs. */
export const OVSDB_DATABASE = 'Open_vSwitch';
const MONITOR_REQUESTS = {
  Bridge: { columns: [...BRIDGE_COLUMNS] },
  Port: { columns: [...PORT_COLUMNS] },
  Interface: { columns: [...INTERFACE_COLUMNS] },
};

type State = 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopped';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
  settled: boolean;
}

function deferred(): Deferred {
  const d: Partial<Deferred> = { settled: false };
  d.promise = new Promise<void>((res, rej) => {
    d.resolve = () => { if (!d.settled) { d.settled = true; res(); } };
    d.reject = (err) => { if (!d.settled) { d.settled = true; rej(err); } };
  });
  // start() callers handle the rejection; never an unhandled one when nobody awaits.
  d.promise.catch(() => undefined);
  return d as Deferred;
}

export class OvsdbMonitor extends EventEmitter<OvsdbMonitorEvents> {
  private readonly connection: string;
  private readonly log: Logger;
  /** The caller's logger, for the clients (they add their own component). */
  private readonly rootLog: Logger;
  private readonly clock: Clock;
  private readonly connector: OvsdbConnector;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly requestTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly startTimeoutMs: number | undefined;
  private readonly maxMessageBytes: number | undefined;
  private readonly tables = new OvsdbTables();

  private state: State = 'idle';
  private client: OvsdbClient | undefined;
  private retryTimer: TimerHandle | undefined;
  private startTimer: TimerHandle | undefined;
  private firstSnapshot: Deferred | undefined;
  /** Failed attempts since the last good connection (drives backoff and "log once"). */
  private failures = 0;
  private lastError: Error | undefined;
  private downSince: number | undefined;
  private everConnected = false;
  private monitorSeq = 0;

  constructor(opts: OvsdbMonitorOptions) {
    super();
    // A bad connection string is a configuration error: fail now, not in a retry loop.
    parseOvsdbRemote(opts.connection);
    this.connection = opts.connection;
    this.log = opts.logger.child({ component: 'ovsdb-monitor', ovsdb: opts.connection });
    this.rootLog = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.connector = opts.connect ?? ((c, o) => OvsdbClient.connect(c, o));
    this.baseDelayMs = opts.reconnectDelayMs ?? 500;
    this.maxDelayMs = Math.max(this.baseDelayMs, opts.maxReconnectDelayMs ?? 10_000);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.probeIntervalMs = opts.probeIntervalMs ?? 5000;
    this.startTimeoutMs = opts.startTimeoutMs;
    this.maxMessageBytes = opts.maxMessageBytes;
  }

  /** True between a successful (re)monitor and the loss of that connection. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Connects and resolves after the initial snapshot (see the module comment). */
  start(): Promise<void> {
    if (this.firstSnapshot) return this.firstSnapshot.promise;
    const first = deferred();
    this.firstSnapshot = first;
    if (this.state === 'stopped') {
      first.reject(new OvsdbConnectionError(this.connection, 'monitor stopped'));
      return first.promise;
    }
    if (this.startTimeoutMs !== undefined) {
      const ms = this.startTimeoutMs;
      this.startTimer = this.clock.setTimeout(() => {
        this.startTimer = undefined;
        if (first.settled) return;
        const why = this.lastError ? `: ${this.lastError.message}` : '';
        first.reject(new OvsdbConnectionError(this.connection, `no snapshot within ${ms} ms${why}`, { cause: this.lastError }));
        void this.stop();
      }, ms);
    }
    void this.attempt();
    return first.promise;
  }

  /** Closes the connection and cancels timers. Idempotent; no event follows. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state !== 'idle';
    this.state = 'stopped';
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    if (this.startTimer !== undefined) this.clock.clearTimeout(this.startTimer);
    this.retryTimer = undefined;
    this.startTimer = undefined;
    this.firstSnapshot?.reject(new OvsdbConnectionError(this.connection, 'monitor stopped before the first snapshot'));
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.close();
      await c.closed;
    }
    if (wasRunning) this.log.info('ovsdb monitor stopped');
  }

  /** Copies of the current rows by UUID (the last known ones while disconnected). */
  snapshot(): OvsdbSnapshot {
    return this.tables.snapshot();
  }

  interfaceByName(name: string): InterfaceRow | undefined {
    return this.tables.interfaceByName(name);
  }

  portByName(name: string): PortRow | undefined {
    return this.tables.portByName(name);
  }

  bridgeByName(name: string): BridgeRow | undefined {
    return this.tables.bridgeByName(name);
  }

  /** The Port holding this Interface (by UUID or row). */
  portOfInterface(iface: string | InterfaceRow): PortRow | undefined {
    return this.tables.portOfInterface(iface);
  }

  /** The Bridge holding this Port (by UUID or row). */
  bridgeOfPort(port: string | PortRow): BridgeRow | undefined {
    return this.tables.bridgeOfPort(port);
  }

  /** Interfaces whose `external_ids:iface-id` is this Neutron port id. */
  interfacesByIfaceId(ifaceId: string): InterfaceRow[] {
    return this.tables.interfacesByIfaceId(ifaceId);
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    let client: OvsdbClient;
    try {
      client = await this.connector(this.connection, {
        logger: this.rootLog,
        connectTimeoutMs: this.requestTimeoutMs,
        requestTimeoutMs: this.requestTimeoutMs,
        probeIntervalMs: this.probeIntervalMs,
        clock: this.clock,
        ...(this.maxMessageBytes !== undefined ? { maxMessageBytes: this.maxMessageBytes } : {}),
      });
    } catch (err) {
      this.attemptFailed(err);
      return;
    }
    if (this.state !== 'connecting') {
      client.close();
      return;
    }
    this.client = client;
    // A fresh id per connection: a stale update can never be taken for a current one.
    const monitorId = `nucleon-ovs-${++this.monitorSeq}`;
    // Updates that follow the monitor reply in the same chunk are emitted before the
    // awaited reply is handled: hold them until the initial rows are in.
    let early: OvsdbTableUpdates[] | undefined = [];
    client.on('update', (id, updates) => {
      if (id !== monitorId || client !== this.client) return;
      if (early) early.push(updates);
      else this.onUpdate(updates);
    });
    client.on('monitor-canceled', (id) => {
      if (id !== monitorId || client !== this.client) return;
      this.connectionLost(client, new OvsdbConnectionError(this.connection, 'ovsdb-server cancelled the monitor'));
    });
    client.on('close', (reason) => {
      this.connectionLost(client, reason ?? new OvsdbConnectionError(this.connection, 'connection closed'));
    });
    let initial: OvsdbTableUpdates;
    try {
      initial = await client.monitor(OVSDB_DATABASE, monitorId, MONITOR_REQUESTS, { timeoutMs: this.requestTimeoutMs });
    } catch (err) {
      if (this.client === client) this.client = undefined;
      client.close();
      this.attemptFailed(err);
      return;
    }
    if (this.state !== 'connecting') return;
    if (this.client !== client) {
      // The reply came, but the connection died in the same chunk (connectionLost
      // recorded why): this attempt failed.
      this.attemptFailed(this.lastError ?? new OvsdbConnectionError(this.connection, 'connection lost after the monitor reply'));
      return;
    }
    const result = this.tables.replace(initial, early);
    early = undefined;
    this.state = 'connected';
    this.logIssues(result);
    const counts = this.tables.counts;
    if (!this.everConnected) {
      this.log.info({ ...counts }, 'ovsdb monitor connected');
    } else {
      const downMs = this.downSince === undefined ? undefined : this.clock.now() - this.downSince;
      this.log.info({ ...counts, attempts: this.failures + 1, downMs }, 'ovsdb monitor reconnected');
    }
    this.everConnected = true;
    this.failures = 0;
    this.lastError = undefined;
    this.downSince = undefined;
    if (this.startTimer !== undefined) this.clock.clearTimeout(this.startTimer);
    this.startTimer = undefined;
    this.emitSafely('connected');
    this.emitSafely('change', { ...result.change, resync: true });
    this.firstSnapshot?.resolve();
  }

  private onUpdate(updates: OvsdbTableUpdates): void {
    const result = this.tables.apply(updates);
    this.logIssues(result);
    if (!isEmptyChange(result.change)) this.emitSafely('change', { ...result.change, resync: false });
  }

  /** An established (or establishing) connection ended; reconnect unless stopped. */
  private connectionLost(client: OvsdbClient, error: OvsdbConnectionError): void {
    if (client !== this.client) return;
    this.client = undefined;
    client.close();
    if (this.state === 'stopped') return;
    if (this.state !== 'connected') {
      // Lost while the monitor request was in flight: attempt() fails it.
      this.lastError = error;
      return;
    }
    this.downSince = this.clock.now();
    if (error instanceof OvsdbProtocolError) {
      this.log.error({ err: error }, 'ovsdb-server sent malformed data; connection dropped, reconnecting');
    } else {
      this.log.warn({ err: error }, 'ovsdb connection lost; reconnecting');
    }
    this.lastError = error;
    this.scheduleRetry(this.baseDelayMs);
    this.emitSafely('disconnected', { error });
  }

  private attemptFailed(err: unknown): void {
    if (this.state === 'stopped') return;
    const error = err instanceof Error ? err : new Error(String(err));
    this.lastError = error;
    this.failures++;
    this.downSince ??= this.clock.now();
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(this.failures - 1, 30));
    if (this.failures === 1) {
      this.log.warn({ err: error, retryInMs: delay }, this.everConnected ? 'ovsdb reconnect failed; retrying with backoff' : 'cannot monitor ovsdb yet; retrying with backoff');
    } else {
      this.log.debug({ err: error, failures: this.failures, retryInMs: delay }, 'ovsdb attempt failed');
    }
    this.scheduleRetry(delay);
  }

  private scheduleRetry(delayMs: number): void {
    this.state = 'backoff';
    this.retryTimer = this.clock.setTimeout(() => { void this.attempt(); }, delayMs);
  }

  private logIssues(r: ApplyResult): void {
    for (const i of r.issues) this.log.warn({ err: i.err, table: i.table, uuid: i.uuid }, 'ovsdb row not decodable; left out of the replica');
  }

  /**
   * Calls every listener, each in its own try: one that throws is logged and does not
   * keep the others from running (EventEmitter.emit would stop at the first throw).
   */
  private emitSafely<K extends keyof OvsdbMonitorEvents>(event: K, ...args: OvsdbMonitorEvents[K]): void {
    for (const listener of this.rawListeners(event)) {
      // A listener may have called stop(): nothing is emitted after it.
      if (this.state === 'stopped') return;
      try {
        // rawListeners: `once` wrappers remove themselves when called.
        Reflect.apply(listener as (...a: unknown[]) => unknown, this, args);
      } catch (err) {
        this.log.error({ err, event }, 'ovsdb monitor listener threw');
      }
    }
  }

}
