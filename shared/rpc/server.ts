/**
 * oslo RPC server (amqpdriver.listen + RPCServer + RPCDispatcher) on one channel:
 * consumes `<topic>`, `<topic>.<server>` and `<topic>_fanout_<uuid hex>`.
 *
 * Per message: ack first (at most once, like oslo's RpcAMQPListener), decode,
 * drop duplicates (last 16 `_unique_id`s), dispatch, and send one reply when the
 * caller waits for one (`_msg_id` + `_reply_q`). Nothing a peer sends can stop the
 * consumer: every bad message costs one log line and, where a caller waits, an
 * oslo failure reply. Handlers run concurrently, as with oslo's executor pool.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logging/logger.js';
import type { ChannelUser, OsloConnection } from './connection.js';
import type { RpcContext } from './context.js';
import { unpackMessage } from './context.js';
import { declareConsumer } from './declare.js';
import { RpcDispatcher, UniqueIdCache, type RpcEndpoint } from './dispatcher.js';
import { decodeEnvelope, peekReplyAddress } from './envelope.js';
import { MalformedMessageError, RpcClosedError, UnsupportedEnvelopeVersionError } from './errors.js';
import { unsupportedEnvelopeFailure, type OsloFailure } from './failure.js';
import { uuidHex } from './ids.js';
import { fanoutConsumerSpec, topicConsumerSpec, type ConsumerSpec } from './options.js';
import { ReplySender } from './reply-sender.js';

export interface OsloRpcServerOptions {
  topic: string;
  /** The host name: the server also consumes `<topic>.<server>`. */
  server: string;
  endpoints: RpcEndpoint[];
  logger: Logger;
}

export class OsloRpcServer implements ChannelUser {
  readonly topic: string;
  readonly server: string;
  readonly userName: string;
  /** Made once per server object: the same fanout queue is re-declared after reconnects. */
  readonly fanoutQueue: string;
  private readonly dispatcher: RpcDispatcher;
  private readonly dupes = new UniqueIdCache();
  private readonly replies: ReplySender;
  private readonly log: Logger;
  private readonly specs: ConsumerSpec[];
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly conn: OsloConnection,
    opts: OsloRpcServerOptions,
  ) {
    this.topic = opts.topic;
    this.server = opts.server;
    this.dispatcher = new RpcDispatcher(opts.endpoints);
    this.userName = `rpc-server ${opts.topic}.${opts.server}`;
    this.log = opts.logger.child({ component: 'rpc-server', topic: opts.topic });
    this.replies = new ReplySender(conn, this.log);
    const fanout = fanoutConsumerSpec(conn.rabbit, opts.topic, uuidHex());
    this.fanoutQueue = fanout.queue.name;
    this.specs = [
      topicConsumerSpec(conn.rabbit, conn.controlExchange, opts.topic),
      topicConsumerSpec(conn.rabbit, conn.controlExchange, `${opts.topic}.${opts.server}`),
      fanout,
    ];
  }

  /** Queue names this server consumes (for tests and `nucleon` diagnostics). */
  get queues(): string[] {
    return this.specs.map((s) => s.queue.name);
  }

  /**
   * Registers with the connection. If connected, resolves once all three queues
   * are consumed (and rejects on e.g. 406); if not, resolves at once and the
   * consumers are declared when the connection comes up.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.conn.addChannelUser(this);
    } catch (err) {
      this.running = false;
      throw err;
    }
    this.log.info({ server: this.server, queues: this.queues }, 'RPC server started');
  }

  /** Stops consuming (queues stay, as with oslo), then waits for handlers in progress. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.conn.removeChannelUser(this);
    await Promise.allSettled([...this.inFlight]);
    this.log.info('RPC server stopped');
  }

  async setup(ch: Channel): Promise<void> {
    for (const spec of this.specs) {
      await declareConsumer(ch, spec);
      await ch.consume(spec.queue.name, (msg) => this.onDelivery(ch, spec.queue.name, msg), { noAck: false });
    }
  }

  private onDelivery(ch: Channel, queue: string, msg: ConsumeMessage | null): void {
    if (msg === null) {
      this.log.warn({ queue }, 'consumer cancelled by the broker, re-declaring');
      this.conn.redeclare(this);
      return;
    }
    try {
      ch.ack(msg);
    } catch (err) {
      // oslo: "Discarding RPC request due to failed acknowledge" (it will be redelivered).
      this.log.warn({ err, queue }, 'discarding RPC request: acknowledge failed');
      return;
    }
    const p = this.handle(queue, msg.content).catch((err: unknown) => {
      this.log.error({ err, queue }, 'unexpected error processing an RPC message');
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async handle(queue: string, content: Buffer): Promise<void> {
    let decoded;
    try {
      decoded = decodeEnvelope(content);
    } catch (err) {
      await this.rejectUndecodable(queue, content, err);
      return;
    }
    const m = unpackMessage(decoded.message);
    if (this.dupes.checkAndAdd(m.uniqueId)) {
      this.log.warn({ queue, unique_id: m.uniqueId, msg_id: m.msgId }, 'ignoring duplicate RPC message');
      return;
    }
    const method = m.body['method'];
    const log = this.log.child({ method: typeof method === 'string' ? method : String(method), msg_id: m.msgId ?? undefined });
    if (m.msgId && !m.replyQ) log.warn({ queue }, 'RPC call without _reply_q: cannot reply');
    const wantsReply = m.msgId !== null && m.replyQ !== null;
    const stopHeartbeat = wantsReply ? this.startCallMonitor(m.replyQ!, m.msgId!, m.clientTimeout) : () => undefined;
    const started = Date.now();
    let outcome;
    try {
      outcome = await this.dispatcher.dispatch(m.context as RpcContext, m.body);
    } finally {
      stopHeartbeat();
    }
    const durationMs = Date.now() - started;
    if (outcome.ok) {
      log.debug({ queue, durationMs, envelope: decoded.envelope }, 'RPC message handled');
    } else if (outcome.reason === 'handler') {
      log.warn({ queue, durationMs, err: outcome.error, remoteClass: outcome.failure.class }, 'RPC handler failed');
    } else {
      log.warn({ queue, reason: outcome.reason, failure: outcome.failure.message }, 'RPC request refused');
    }
    if (!wantsReply) return;
    const body = ReplySender.body(m.msgId!, outcome.ok ? outcome.result : null, outcome.ok ? null : outcome.failure);
    await this.replies.send(m.replyQ!, m.msgId!, body);
  }

  /** Bad JSON, not a dict, unsupported envelope: one log line, a failure reply if someone waits. */
  private async rejectUndecodable(queue: string, content: Buffer, err: unknown): Promise<void> {
    const reason = err instanceof UnsupportedEnvelopeVersionError ? 'unsupported-envelope' : 'malformed';
    this.log.warn(
      { queue, reason, bytes: content.length, err: err instanceof Error ? err.message : String(err) },
      'dropping undecodable RPC message',
    );
    if (!(err instanceof UnsupportedEnvelopeVersionError) && !(err instanceof MalformedMessageError)) return;
    const addr = peekReplyAddress(content);
    if (!addr) return;
    let failure: OsloFailure;
    if (err instanceof UnsupportedEnvelopeVersionError) failure = unsupportedEnvelopeFailure(err);
    else return; // a message we could not parse has no trustworthy reply address
    await this.replies.send(addr.replyQ, addr.msgId, ReplySender.body(addr.msgId, null, failure));
  }

  /**
   * oslo's call-monitor: with an integer `_timeout` ≥ 2 (s) from the caller, send
   * an `ending: false` heartbeat every `_timeout/2` s while the handler runs.
   * Neutron sends `_timeout: null`, so this is normally idle.
   */
  private startCallMonitor(replyQ: string, msgId: string, clientTimeout: unknown): () => void {
    const t = typeof clientTimeout === 'number' ? Math.trunc(clientTimeout) : typeof clientTimeout === 'string' ? Number.parseInt(clientTimeout, 10) : NaN;
    const intervalS = t / 2;
    if (!Number.isFinite(intervalS) || intervalS < 1) return () => undefined;
    const timer = setInterval(() => {
      void this.conn
        .publish({ exchange: null, routingKey: replyQ, body: ReplySender.body(msgId, null, null, false), mandatory: true, waitMs: intervalS * 1000 })
        .catch((err: unknown) => {
          if (!(err instanceof RpcClosedError)) this.log.debug({ err, msg_id: msgId }, 'call-monitor heartbeat failed');
        });
    }, intervalS * 1000);
    return () => clearInterval(timer);
  }
}
