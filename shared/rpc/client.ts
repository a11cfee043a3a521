/**
 * oslo RPCClient over OsloConnection: call (with reply), cast, fanout cast, to
 * `<topic>` or `<topic>.<server>`. Messages carry the same fields, in the same
 * order, as a Python Neutron agent sends them (PROTOCOL.md A4).
 *
 * With `backoffOnTimeout`, timeouts behave like Neutron's BackingOffClient: after
 * a timeout the caller sleeps a random 0..timeout, and that method's timeout
 * doubles up to maxTimeoutMs. A call with an explicit per-call timeoutMs is not
 * backed off (Neutron skips contexts prepared with an explicit timeout).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging/logger.js';
import type { OsloConnection } from './connection.js';
import { packContext, type RpcContext } from './context.js';
import { encodeEnvelope, type JsonObject } from './envelope.js';
import { RpcNotConnectedError, RpcTimeoutError, RpcConnectionLostError } from './errors.js';
import { decodeFailure } from './failure.js';
import { uuidHex } from './ids.js';
import { controlExchangeSpec, fanoutExchangeSpec } from './options.js';
import { replyWaiterFor, type ReplyMessage } from './reply-waiter.js';

export interface OsloRpcClientOptions {
  topic: string;
  /** Default version sent with every message ("version" is omitted when unset, like oslo). */
  version?: string;
  /** rpc_response_timeout in ms; default 60000. */
  timeoutMs?: number;
  /** rpc_response_max_timeout in ms; default 600000. */
  maxTimeoutMs?: number;
  backoffOnTimeout?: boolean;
  /** Target namespace; none of Neutron's are set, so normally absent. */
  namespace?: string | null;
  logger: Logger;
}

export interface CallOptions {
  server?: string;
  version?: string;
  timeoutMs?: number;
  context?: RpcContext;
}

export interface CastOptions {
  server?: string;
  fanout?: boolean;
  version?: string;
  context?: RpcContext;
}

/** Sees every call's method, duration and outcome (metrics); one per process. */
export type RpcCallObserver = (method: string, durationMs: number, ok: boolean) => void;
let callObserver: RpcCallObserver | undefined;

export function setRpcCallObserver(fn: RpcCallObserver | undefined): void {
  callObserver = fn;
}

export class OsloRpcClient {
  readonly topic: string;
  private readonly version: string | undefined;
  private readonly namespace: string | null;
  private readonly timeoutMs: number;
  private readonly maxTimeoutMs: number;
  private readonly backoff: boolean;
  private readonly log: Logger;
  /** Neutron's _METHOD_TIMEOUTS, per client and method. */
  private readonly methodTimeouts = new Map<string, number>();

  constructor(
    private readonly conn: OsloConnection,
    opts: OsloRpcClientOptions,
  ) {
    this.topic = opts.topic;
    this.version = opts.version;
    this.namespace = opts.namespace ?? null;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxTimeoutMs = Math.max(opts.maxTimeoutMs ?? 600_000, this.timeoutMs);
    this.backoff = opts.backoffOnTimeout ?? false;
    this.log = opts.logger.child({ component: 'rpc-client', topic: opts.topic });
  }

  /** The timeout the next call of `method` will use (grows after timeouts with backoff). */
  currentTimeoutMs(method: string): number {
    return this.methodTimeouts.get(method) ?? this.timeoutMs;
  }

  async call<T = unknown>(method: string, args: Record<string, unknown>, opts: CallOptions = {}): Promise<T> {
    const explicit = opts.timeoutMs !== undefined;
    const timeoutMs = opts.timeoutMs ?? this.currentTimeoutMs(method);
    const started = performance.now();
    try {
      const result = (await this.callOnce(method, args, opts, timeoutMs)) as T;
      callObserver?.(method, performance.now() - started, true);
      return result;
    } catch (err) {
      callObserver?.(method, performance.now() - started, false);
      if (this.backoff && !explicit && err instanceof RpcTimeoutError && !(err instanceof RpcConnectionLostError)) {
        await this.backOff(method, timeoutMs);
      }
      throw err;
    }
  }

  private async backOff(method: string, usedMs: number): Promise<void> {
    const waitMs = Math.random() * Math.min(this.currentTimeoutMs(method), this.timeoutMs);
    const next = Math.min(usedMs * 2, this.maxTimeoutMs);
    if (next > this.currentTimeoutMs(method)) {
      this.methodTimeouts.set(method, next);
      this.log.warn({ method, timeoutMs: next }, 'RPC timeout: increasing this method\'s timeout');
    }
    this.log.error({ method, waitMs: Math.round(waitMs) }, 'RPC timeout: waiting before the next attempt');
    await sleep(waitMs);
  }

  private async callOnce(method: string, args: Record<string, unknown>, opts: CallOptions, timeoutMs: number): Promise<unknown> {
    const waiter = replyWaiterFor(this.conn);
    const started = Date.now();
    await withTimeout(waiter.ensureStarted(), timeoutMs, () => this.noBroker(method, timeoutMs));
    const msgId = uuidHex();
    const msg = this.baseMessage(method, args, opts.version);
    msg['_msg_id'] = msgId;
    msg['_reply_q'] = waiter.queueName;
    // call_monitor_timeout: Neutron never sets it, so oslo sends null.
    msg['_timeout'] = null;
    msg['_unique_id'] = uuidHex();
    packContext(msg, opts.context);
    const body = encodeEnvelope(msg);
    const topic = opts.server ? `${this.topic}.${opts.server}` : this.topic;

    let timer: NodeJS.Timeout | null = null;
    const reply = new Promise<ReplyMessage>((resolve, reject) => {
      waiter.listen(msgId, { method, topic, timeoutMs, published: false, resolve, reject });
      timer = setTimeout(() => {
        waiter.unlisten(msgId);
        reject(new RpcTimeoutError(method, topic, timeoutMs));
      }, Math.max(0, timeoutMs - (Date.now() - started)));
    });
    // The reply promise may settle (timeout) while we still publish: keep it handled.
    reply.catch(() => undefined);
    try {
      await this.conn.publish({
        exchange: controlExchangeSpec(this.conn.rabbit, this.conn.controlExchange),
        routingKey: topic,
        body,
        // AMQP per-message TTL = the call timeout, as str(int ms) (kombu `expiration`).
        expiration: String(Math.max(1, Math.round(timeoutMs))),
        waitMs: Math.max(0, timeoutMs - (Date.now() - started)),
      });
      waiter.markPublished(msgId);
      this.log.debug({ method, msg_id: msgId, routing_key: topic }, 'RPC call sent');
      const r = await reply;
      if (r.failure) throw decodeFailure(r.failure);
      return r.result;
    } catch (err) {
      if (err instanceof RpcNotConnectedError) throw this.noBroker(method, timeoutMs, topic);
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      waiter.unlisten(msgId);
    }
  }

  private noBroker(method: string, timeoutMs: number, topic = this.topic): RpcTimeoutError {
    return new RpcTimeoutError(
      method,
      topic,
      timeoutMs,
      `Timed out after ${timeoutMs} ms calling ${method} on ${topic}: no connection to the broker`,
    );
  }

  /**
   * Fire and forget. Resolves once the broker confirmed the publish; an
   * unroutable cast is dropped silently by the broker (mandatory=false, like oslo).
   */
  async cast(method: string, args: Record<string, unknown>, opts: CastOptions = {}): Promise<void> {
    const msg = this.baseMessage(method, args, opts.version);
    msg['_unique_id'] = uuidHex();
    packContext(msg, opts.context);
    const body = encodeEnvelope(msg);
    if (opts.fanout) {
      await this.conn.publish({ exchange: fanoutExchangeSpec(this.topic), routingKey: '', body, waitMs: this.timeoutMs });
      this.log.debug({ method, exchange: `${this.topic}_fanout` }, 'RPC fanout cast sent');
      return;
    }
    const topic = opts.server ? `${this.topic}.${opts.server}` : this.topic;
    await this.conn.publish({
      exchange: controlExchangeSpec(this.conn.rabbit, this.conn.controlExchange),
      routingKey: topic,
      body,
      waitMs: this.timeoutMs,
    });
    this.log.debug({ method, routing_key: topic }, 'RPC cast sent');
  }

  /** method, args, namespace (if any), version (if any): oslo's _make_message order. */
  private baseMessage(method: string, args: Record<string, unknown>, version?: string): JsonObject {
    const msg: JsonObject = { method, args };
    if (this.namespace) msg['namespace'] = this.namespace;
    const v = version ?? this.version;
    if (v) msg['version'] = v;
    return msg;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
