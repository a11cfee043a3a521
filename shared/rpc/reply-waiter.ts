/**
 * The process's reply queue `reply_<uuid hex>` (oslo ReplyWaiter): created on the
 * first call, one per connection, shared by every client on it, re-declared with
 * the same name after a reconnect. Replies are matched to calls by `_msg_id`.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logging/logger.js';
import type { ChannelUser, OsloConnection } from './connection.js';
import { declareConsumer } from './declare.js';
import { decodeEnvelope } from './envelope.js';
import { RpcConnectionLostError } from './errors.js';
import { uuidHex } from './ids.js';
import { replyConsumerSpec } from './options.js';
import { UniqueIdCache } from './dispatcher.js';

export interface ReplyMessage {
  result: unknown;
  failure: unknown;
  ending: boolean;
}

interface Waiter {
  method: string;
  topic: string;
  timeoutMs: number;
  /** Only calls already on the wire fail when the connection drops; others are retried by publish. */
  published: boolean;
  resolve(r: ReplyMessage): void;
  reject(e: Error): void;
  /** Call-monitor heartbeat (`ending: false`). */
  onHeartbeat?(): void;
}

export class ReplyWaiter implements ChannelUser {
  readonly queueName = `reply_${uuidHex()}`;
  readonly userName: string;
  private readonly waiters = new Map<string, Waiter>();
  private readonly dupes = new UniqueIdCache();
  private readonly log: Logger;
  private starting: Promise<void> | null = null;

  constructor(private readonly conn: OsloConnection) {
    this.userName = `reply-consumer ${this.queueName}`;
    this.log = conn.logger.child({ reply_q: this.queueName });
    conn.onDisconnect(() => this.failInFlight());
  }

  /** Declares and consumes the reply queue once (lazily, on the first call). */
  ensureStarted(): Promise<void> {
    this.starting ??= this.conn.addChannelUser(this).catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  async setup(ch: Channel): Promise<void> {
    await declareConsumer(ch, replyConsumerSpec(this.conn.rabbit, this.queueName));
    await ch.consume(this.queueName, (msg) => this.onMessage(ch, msg), { noAck: false });
  }

  listen(msgId: string, w: Waiter): void {
    this.waiters.set(msgId, w);
  }

  markPublished(msgId: string): void {
    const w = this.waiters.get(msgId);
    if (w) w.published = true;
  }

  unlisten(msgId: string): void {
    this.waiters.delete(msgId);
  }

  get inFlight(): number {
    return this.waiters.size;
  }

  private failInFlight(): void {
    for (const [id, w] of this.waiters) {
      if (!w.published) continue;
      this.waiters.delete(id);
      w.reject(new RpcConnectionLostError(w.method, w.topic, w.timeoutMs));
    }
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      this.log.warn('reply consumer cancelled by the broker, re-declaring');
      this.conn.redeclare(this);
      return;
    }
    try {
      ch.ack(msg);
    } catch {
      // channel already gone: the reply was read, acking is best effort
    }
    let m: Record<string, unknown>;
    try {
      m = decodeEnvelope(msg.content).message;
    } catch (err) {
      this.log.warn({ err, bytes: msg.content.length }, 'dropping undecodable reply');
      return;
    }
    const unique = typeof m['_unique_id'] === 'string' ? m['_unique_id'] : null;
    if (this.dupes.checkAndAdd(unique)) {
      this.log.warn({ unique_id: unique }, 'dropping duplicate reply');
      return;
    }
    const msgId = m['_msg_id'];
    const w = typeof msgId === 'string' ? this.waiters.get(msgId) : undefined;
    if (!w) {
      // oslo: "No calling threads waiting for msg_id" (late reply after a timeout).
      this.log.info({ msg_id: msgId }, 'reply for a call nobody waits for (timed out?)');
      return;
    }
    const ending = m['ending'] === true;
    if (!ending && (m['result'] ?? null) === null && !m['failure']) {
      w.onHeartbeat?.();
      return;
    }
    this.waiters.delete(msgId as string);
    w.resolve({ result: m['result'] ?? null, failure: m['failure'] ?? null, ending });
  }
}

const waiters = new WeakMap<OsloConnection, ReplyWaiter>();

/** One reply queue per connection (oslo: one per process/transport). */
export function replyWaiterFor(conn: OsloConnection): ReplyWaiter {
  let w = waiters.get(conn);
  if (!w) {
    w = new ReplyWaiter(conn);
    waiters.set(conn, w);
  }
  return w;
}
