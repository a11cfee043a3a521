/**
 * In-memory stand-ins for the OVSDB unit tests: a JSON-RPC peer on a Duplex stream
 * (what the client writes is parsed and handed to a handler; what the test sends is
 * pushed raw, so framing can be abused), a tiny Open_vSwitch "server" that answers
 * `monitor` with its rows and pushes updates, and a capturing logger.
 * No sockets, no processes.
 */
import { Duplex, Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { JsonMessageSplitter } from '../../../shared/drivers/ovs/ovsdb-framing.js';
import { OvsdbClient, type OvsdbClientOptions, type OvsdbTableUpdates } from '../../../shared/drivers/ovs/ovsdb-client.js';

export type Msg = Record<string, unknown>;

export class FakePeer {
  readonly stream: Duplex;
  /** Every message the client sent, in order. */
  readonly received: Msg[] = [];
  /** Called for each message the client sends (after it is recorded). */
  onMessage: (m: Msg) => void = () => undefined;
  private readonly splitter = new JsonMessageSplitter();

  constructor() {
    const peer = this;
    this.stream = new Duplex({
      read() { /* data is pushed by send() */ },
      write(chunk: Buffer, _enc, cb) {
        for (const m of peer.splitter.push(chunk)) {
          peer.received.push(m as Msg);
          peer.onMessage(m as Msg);
        }
        cb();
      },
    });
  }

  /** Pushes bytes as they are (several messages, half messages, garbage…). */
  sendRaw(s: string | Buffer): void {
    this.stream.push(s);
  }

  send(...msgs: Msg[]): void {
    this.sendRaw(msgs.map((m) => JSON.stringify(m)).join(''));
  }

  /** The peer closes its side (EOF for the client). */
  end(): void {
    this.stream.push(null);
  }

  /** Requests the client sent with this method. */
  requests(method: string): Msg[] {
    return this.received.filter((m) => m['method'] === method);
  }
}

export function clientOn(peer: FakePeer, opts: Partial<OvsdbClientOptions> = {}): OvsdbClient {
  return new OvsdbClient(peer.stream, { connection: 'unix:/fake/db.sock', ...opts });
}

type Rows = Record<string, Record<string, Record<string, unknown>>>;

/**
 * A fake ovsdb-server holding Open_vSwitch rows (raw OVSDB notation) that answers
 * `monitor` with them and `echo`; `update()` changes rows and notifies the current
 * monitor. `replyWith` lets a test append raw bytes to the monitor reply chunk.
 */
export class FakeOvsdbServer {
  rows: Rows = { Bridge: {}, Port: {}, Interface: {} };
  peer: FakePeer | undefined;
  monitorId: unknown;
  /** Appended (in the same chunk) after the next monitor reply. */
  afterReply: string | undefined;
  /** When set, monitor requests are answered with this error. */
  monitorError: unknown;
  /** When false, monitor requests get no answer. */
  answerMonitor = true;
  connects = 0;

  /** A connector for OvsdbMonitor: each call opens a new in-memory connection. */
  connector = async (connection: string, opts: OvsdbClientOptions): Promise<OvsdbClient> => {
    this.connects++;
    const peer = new FakePeer();
    this.peer = peer;
    peer.onMessage = (m) => this.handle(peer, m);
    return new OvsdbClient(peer.stream, { ...opts, connection });
  };

  private handle(peer: FakePeer, m: Msg): void {
    if (m['method'] === 'monitor') {
      if (!this.answerMonitor) return;
      const params = m['params'] as unknown[];
      this.monitorId = params[1];
      if (this.monitorError !== undefined) {
        peer.send({ id: m['id'], result: null, error: this.monitorError });
        return;
      }
      const initial: OvsdbTableUpdates = {};
      for (const [table, rows] of Object.entries(this.rows)) {
        initial[table] = Object.fromEntries(Object.entries(rows).map(([u, c]) => [u, { new: c }]));
      }
      peer.sendRaw(JSON.stringify({ id: m['id'], result: initial, error: null }) + (this.afterReply ?? ''));
      this.afterReply = undefined;
    } else if (m['method'] === 'echo') {
      peer.send({ id: m['id'], result: m['params'], error: null });
    }
  }

  /** Sets (full columns) or deletes (undefined) rows, then sends one update message. */
  update(changes: Record<string, Record<string, Record<string, unknown> | undefined>>, notify = true): void {
    const msg: OvsdbTableUpdates = {};
    for (const [table, rows] of Object.entries(changes)) {
      const t = (this.rows[table] ??= {});
      msg[table] = {};
      for (const [uuid, cols] of Object.entries(rows)) {
        const old = t[uuid];
        if (cols === undefined) {
          delete t[uuid];
          if (old) msg[table][uuid] = { old };
        } else {
          t[uuid] = cols;
          msg[table][uuid] = old ? { old, new: cols } : { new: cols };
        }
      }
    }
    if (notify && this.peer) this.peer.send({ id: null, method: 'update', params: [this.monitorId, msg] });
  }
}

/** UUIDs that read well in failures: uuid(1) = 00000000-0000-0000-0000-000000000001. */
export function uuid(n: number): string {
  return `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
}

export const ref = (n: number): ['uuid', string] => ['uuid', uuid(n)];
export const set = (...atoms: unknown[]): ['set', unknown[]] => ['set', atoms];
export const map = (m: Record<string, string>): ['map', Array<[string, string]>] => ['map', Object.entries(m)];

export function bridgeCols(name: string, ports: number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, ports: set(...ports.map(ref)), datapath_type: 'netdev', fail_mode: set(), external_ids: map({}), other_config: map({}), ...extra };
}

export function portCols(name: string, ifaces: number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, interfaces: set(...ifaces.map(ref)), tag: set(), other_config: map({}), external_ids: map({}), ...extra };
}

export function ifaceCols(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, ofport: set(), type: '', external_ids: map({}), options: map({}), error: set(),
    mac_in_use: set(), admin_state: set(), link_state: set(), ...extra,
  };
}

export interface LogLine { level: number; msg: string; err?: { type?: string; message?: string }; [k: string]: unknown }

export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, dest), lines };
}

/** pino level numbers. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
