/**
 * One AMQP connection per agent process, shared by every RPC server and client,
 * with oslo.messaging's failover and reconnect behaviour (impl_rabbit.Connection):
 *
 * - hosts of the transport_url are shuffled once, then tried round-robin;
 * - reconnect delay 1 s, doubling, at most 30 s, reset after a successful connect.
 *   (kombu's own retry_over_time steps the interval additively by
 *   rabbit_retry_backoff; the doubling here is the project's chosen policy.)
 * - the first connect never throws: it keeps retrying in the background, one
 *   log line per failed attempt;
 * - after every (re)connect each registered ChannelUser (RPC servers, the reply
 *   consumer) gets a fresh channel and re-declares its queues and consumers;
 *   only then is the connection reported as connected and onReconnect fired.
 *
 * amqplib's built-in recovery (connect with `recovery`) is not used: it takes a
 * single URL (no multi-host round-robin failover) and re-runs one setup function
 * for the whole model, while here each consumer owns its channel so a 406 on one
 * server's queue does not take down the others.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import type { Logger } from '../logging/logger.js';
import { RpcClosedError, RpcNotConnectedError, RpcError } from './errors.js';
import { resolveRabbitOptions, type ExchangeSpec, type RabbitOptions } from './options.js';
import { maskHost, maskTransportUrl, parseTransportUrl, type TransportHost, type TransportUrl } from './transport-url.js';
import { randomUUID } from 'node:crypto';

/** A component that consumes on its own channel and must be re-declared after a reconnect. */
export interface ChannelUser {
  /** For logs, e.g. "rpc-server q-plugin". */
  readonly userName: string;
  /** Declare and consume on this fresh channel. Called after every (re)connect. */
  setup(ch: Channel): Promise<void>;
}

export interface OsloConnectionOptions {
  transportUrl: string;
  rabbit?: Partial<RabbitOptions>;
  /** oslo control_exchange; Neutron's is "neutron". */
  controlExchange?: string;
  logger: Logger;
  /** Program name in the connection_name client property; defaults to basename(argv[1]). */
  connectionName?: string;
}

export interface PublishRequest {
  /** null: the default exchange (replies), never declared (oslo declares it passive). */
  exchange: ExchangeSpec | null;
  routingKey: string;
  body: Buffer;
  /** Replies are mandatory so a missing reply queue is noticed (basic.return). */
  mandatory?: boolean;
  /** Per-message TTL in ms, as AMQP wants it: a decimal string. */
  expiration?: string;
  /** How long to wait for a usable connection before giving up. */
  waitMs: number;
}

export interface PublishResult {
  /** The broker returned the message: no queue was bound for the routing key. */
  returned: boolean;
}

const INITIAL_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
/** kombu_reconnect_delay: pause before the first reconnect attempt after a drop. */
const RECONNECT_DELAY_MS = 1000;
const CONNECT_TIMEOUT_MS = 10_000;

interface PendingReturn {
  exchange: string;
  routingKey: string;
  returned: boolean;
}

interface PubChannel {
  ch: ConfirmChannel;
  declared: Set<string>;
  pending: PendingReturn[];
  closed: boolean;
}

interface UserState {
  channel: Channel | null;
  generation: number;
  retry: NodeJS.Timeout | null;
  retryDelay: number;
}

export class OsloConnection {
  readonly rabbit: RabbitOptions;
  readonly controlExchange: string;
  readonly logger: Logger;
  /** `<argv0>:<pid>:<uuid>` as oslo sets it, visible in rabbitmqctl list_connections. */
  readonly connectionName: string;
  private readonly url: TransportUrl;
  private readonly hosts: TransportHost[];
  private hostIndex = 0;

  private model: ChannelModel | null = null;
  private generation = 0;
  private everConnected = false;
  private isConnected = false;
  private closing = false;
  private started = false;
  private pub: PubChannel | null = null;
  private pubOpening: Promise<PubChannel> | null = null;
  private readonly users = new Map<ChannelUser, UserState>();
  private readonly events = new EventEmitter();
  private sleepAbort: AbortController | null = null;
  private loopDone: Promise<void> | null = null;

  constructor(opts: OsloConnectionOptions) {
    this.rabbit = resolveRabbitOptions(opts.rabbit);
    this.url = parseTransportUrl(opts.transportUrl);
    this.controlExchange = opts.controlExchange ?? 'neutron';
    this.logger = opts.logger.child({ component: 'rpc' });
    const prog = opts.connectionName ?? path.basename(process.argv[1] ?? process.argv0);
    this.connectionName = `${prog}:${process.pid}:${randomUUID()}`;
    // oslo: random.shuffle(url.hosts) once, then kombu's round-robin failover.
    this.hosts = shuffle([...this.url.hosts]);
    this.events.setMaxListeners(0);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** The transport URL with passwords masked: the only form that may be logged. */
  get maskedUrl(): string {
    return maskTransportUrl(this.url);
  }

  /** Connects in the background and keeps the connection up until close(). Idempotent. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.logger.info({ broker: this.maskedUrl, connection_name: this.connectionName }, 'AMQP connecting');
    this.loopDone = this.loop();
  }

  /** Resolves once connected (and every consumer declared); rejects after timeoutMs or on close. */
  waitConnected(timeoutMs?: number): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    if (this.closing) return Promise.reject(new RpcClosedError());
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const cleanup = (): void => {
        this.events.off('connected', onUp);
        this.events.off('closed', onClosed);
        if (timer) clearTimeout(timer);
      };
      const onUp = (): void => {
        cleanup();
        resolve();
      };
      const onClosed = (): void => {
        cleanup();
        reject(new RpcClosedError());
      };
      this.events.on('connected', onUp);
      this.events.on('closed', onClosed);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          cleanup();
          reject(new RpcNotConnectedError(`not connected to ${this.maskedUrl} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /**
   * Fires after every successful re-connection (not the first), once every
   * consumer is declared again: agents run a full resync here. Returns an unsubscribe function.
   */
  onReconnect(cb: () => void): () => void {
    const l = (): void => this.safeCall(cb, 'onReconnect');
    this.events.on('reconnected', l);
    return () => this.events.off('reconnected', l);
  }

  /** Fires when an established connection is lost or closed (calls in flight fail on this). */
  onDisconnect(cb: (err: Error) => void): () => void {
    const l = (err: Error): void => this.safeCall(() => cb(err), 'onDisconnect');
    this.events.on('disconnected', l);
    return () => this.events.off('disconnected', l);
  }

  private safeCall(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err, hook: what }, 'RPC connection hook threw');
    }
  }

  async close(): Promise<void> {
    if (this.closing) return this.loopDone ?? undefined;
    this.closing = true;
    this.sleepAbort?.abort();
    for (const st of this.users.values()) if (st.retry) clearTimeout(st.retry);
    const model = this.model;
    const wasConnected = this.isConnected;
    this.isConnected = false;
    if (wasConnected) this.events.emit('disconnected', new RpcClosedError());
    this.events.emit('closed');
    if (model) {
      try {
        await model.close();
      } catch {
        // already closing/closed: nothing to do
      }
    }
    await this.loopDone;
    this.logger.info({ broker: this.maskedUrl }, 'AMQP connection closed');
  }

  /**
   * Registers a consumer owner. If connected, sets it up now and rethrows a
   * setup failure (e.g. 406 PRECONDITION_FAILED); otherwise it is set up on
   * connect. Either way it is set up again on a fresh channel after every reconnect.
   */
  async addChannelUser(user: ChannelUser): Promise<void> {
    if (this.closing) throw new RpcClosedError();
    if (this.users.has(user)) return;
    const st: UserState = { channel: null, generation: -1, retry: null, retryDelay: INITIAL_DELAY_MS };
    this.users.set(user, st);
    if (this.isConnected && this.model) {
      try {
        await this.setupUser(user, st, this.model, this.generation, true);
      } catch (err) {
        this.users.delete(user);
        throw err;
      }
    }
  }

  async removeChannelUser(user: ChannelUser): Promise<void> {
    const st = this.users.get(user);
    if (!st) return;
    this.users.delete(user);
    if (st.retry) clearTimeout(st.retry);
    const ch = st.channel;
    st.channel = null;
    if (ch) await ch.close().catch(() => undefined);
  }

  /**
   * The broker cancelled a consumer (queue deleted, HA failover): redo this
   * user's declarations on a fresh channel, as oslo does after consumer_cancel_notify.
   */
  redeclare(user: ChannelUser): void {
    const st = this.users.get(user);
    if (!st || !this.model || !this.isConnected) return;
    const old = st.channel;
    st.channel = null;
    st.generation = -1;
    if (old) void old.close().catch(() => undefined);
    this.scheduleUserRetry(user, st, 0);
  }

  private async setupUser(user: ChannelUser, st: UserState, model: ChannelModel, gen: number, rethrow: boolean): Promise<void> {
    if (st.generation === gen) return;
    st.generation = gen;
    let ch: Channel | null = null;
    try {
      ch = await model.createChannel();
      const thisCh = ch;
      ch.on('error', (err: Error) => this.logger.warn({ err, user: user.userName }, 'AMQP consumer channel error'));
      ch.on('close', () => {
        // Closed by the broker (channel error) while the connection stays up: redo it.
        if (st.channel === thisCh && this.users.get(user) === st && this.isConnected && this.generation === gen) {
          st.channel = null;
          st.generation = -1;
          this.logger.warn({ user: user.userName }, 'AMQP consumer channel closed by broker, re-declaring');
          this.scheduleUserRetry(user, st, st.retryDelay);
        }
      });
      st.channel = ch;
      await user.setup(ch);
      st.retryDelay = INITIAL_DELAY_MS;
    } catch (err) {
      st.channel = null;
      st.generation = -1;
      if (ch) void ch.close().catch(() => undefined);
      if (rethrow || this.closing) throw err;
      this.logger.error({ err, user: user.userName, retryInMs: st.retryDelay }, 'RPC consumer declaration failed, retrying');
      this.scheduleUserRetry(user, st, st.retryDelay);
      st.retryDelay = Math.min(st.retryDelay * 2, MAX_DELAY_MS);
    }
  }

  private scheduleUserRetry(user: ChannelUser, st: UserState, delay: number): void {
    if (st.retry || this.closing) return;
    st.retry = setTimeout(() => {
      st.retry = null;
      const model = this.model;
      if (!model || this.closing || this.users.get(user) !== st) return;
      void this.setupUser(user, st, model, this.generation, false).catch(() => undefined);
    }, delay);
  }

  // ---------------------------------------------------------------- connect loop

  private async loop(): Promise<void> {
    let delay = INITIAL_DELAY_MS;
    let attempt = 0;
    while (!this.closing) {
      const host = this.hosts[this.hostIndex % this.hosts.length]!;
      this.hostIndex++;
      attempt++;
      let lost: Promise<Error>;
      try {
        ({ lost } = await this.connectOnce(host));
      } catch (err) {
        if (this.closing) break;
        // One clear line per failed attempt; the password is never part of it.
        this.logger.warn(
          { broker: maskHost(host), attempt, retryInMs: delay, err: errText(err) },
          'AMQP connect failed, retrying',
        );
        await this.sleep(delay);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
        continue;
      }
      attempt = 0;
      delay = INITIAL_DELAY_MS;
      const err = await lost;
      if (this.closing) break;
      this.logger.warn({ broker: maskHost(host), err: errText(err) }, 'AMQP connection lost, reconnecting');
      await this.sleep(RECONNECT_DELAY_MS);
    }
  }

  /** Connects, sets every user up, then reports connected. Resolves with a promise of the loss. */
  private async connectOnce(host: TransportHost): Promise<{ lost: Promise<Error> }> {
    const creds =
      this.rabbit.rabbitLoginMethod === 'PLAIN'
        ? amqp.credentials.plain(host.username, host.password)
        : amqp.credentials.amqplain(host.username, host.password);
    const model = await amqp.connect(
      {
        protocol: 'amqp',
        hostname: host.hostname,
        port: host.port,
        username: host.username,
        password: host.password,
        // amqplib unescapes the vhost it is given, so hand it the escaped form.
        vhost: encodeURIComponent(this.url.virtualHost),
        heartbeat: this.rabbit.heartbeatTimeoutThreshold,
        locale: 'en_US',
      },
      {
        credentials: creds,
        clientProperties: { connection_name: this.connectionName },
        timeout: CONNECT_TIMEOUT_MS,
        noDelay: true,
      },
    );
    if (this.closing) {
      await model.close().catch(() => undefined);
      throw new RpcClosedError();
    }
    const gen = ++this.generation;
    let resolveLost!: (e: Error) => void;
    const lost = new Promise<Error>((r) => (resolveLost = r));
    let lastErr: Error | null = null;
    model.on('error', (err: Error) => {
      lastErr = err;
    });
    model.on('blocked', (reason: string) => this.logger.warn({ reason }, 'AMQP connection blocked by broker'));
    model.on('unblocked', () => this.logger.info('AMQP connection unblocked'));
    model.on('close', () => {
      if (this.generation !== gen) return;
      const err = lastErr ?? new Error('connection closed');
      this.model = null;
      this.pub = null;
      this.pubOpening = null;
      for (const st of this.users.values()) {
        st.channel = null;
        if (st.retry) {
          clearTimeout(st.retry);
          st.retry = null;
        }
      }
      const wasConnected = this.isConnected;
      this.isConnected = false;
      if (wasConnected && !this.closing) this.events.emit('disconnected', err);
      resolveLost(err);
    });
    this.model = model;
    // Users may register while we declare (addChannelUser sees isConnected=false
    // and defers to us), so loop until every registered user had its turn.
    const attempted = new Set<ChannelUser>();
    for (;;) {
      const next = [...this.users.entries()].find(([u]) => !attempted.has(u));
      if (!next || this.generation !== gen) break;
      attempted.add(next[0]);
      try {
        // Not rethrown: one consumer failing to declare must not keep the others down.
        await this.setupUser(next[0], next[1], model, gen, false);
      } catch (err) {
        if (this.closing) throw err;
      }
    }
    if (this.generation !== gen || this.model !== model) {
      // Lost while declaring: report it as a failed attempt.
      throw lastErr ?? new Error('connection lost during setup');
    }
    this.isConnected = true;
    const first = !this.everConnected;
    this.everConnected = true;
    this.logger.info({ broker: maskHost(host), connection_name: this.connectionName, reconnect: !first }, 'AMQP connected');
    this.events.emit('connected');
    if (!first) this.events.emit('reconnected');
    return { lost };
  }

  private async sleep(ms: number): Promise<void> {
    if (this.closing) return;
    const ac = new AbortController();
    this.sleepAbort = ac;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      ac.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.sleepAbort = null;
  }

  // ---------------------------------------------------------------- publishing

  /**
   * Publishes with publisher confirms, declaring the exchange first (once per
   * channel, as oslo's _publish does). Waits up to waitMs for a connection and
   * retries on a fresh channel after channel/connection errors within that time.
   * A 406 (exchange exists with other durability) is not retried: it cannot heal.
   */
  async publish(req: PublishRequest): Promise<PublishResult> {
    const deadline = Date.now() + req.waitMs;
    let lastErr: unknown = null;
    for (;;) {
      if (this.closing) throw new RpcClosedError();
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RpcNotConnectedError(
          `could not publish to ${req.exchange?.name ?? '(default exchange)'}/${req.routingKey} within ${req.waitMs} ms` +
            (lastErr ? `: ${errText(lastErr)}` : ': not connected'),
        );
      }
      let pub: PubChannel;
      try {
        if (!this.isConnected) await this.waitConnected(left);
        pub = await this.pubChannel();
      } catch (err) {
        if (err instanceof RpcClosedError) throw err;
        lastErr = err;
        if (err instanceof RpcNotConnectedError) continue;
        await delay(Math.min(250, Math.max(0, deadline - Date.now())));
        continue;
      }
      try {
        if (req.exchange && !pub.declared.has(req.exchange.name)) {
          await pub.ch.assertExchange(req.exchange.name, req.exchange.type, {
            durable: req.exchange.durable,
            autoDelete: req.exchange.autoDelete,
          });
          pub.declared.add(req.exchange.name);
        }
        return await this.confirmPublish(pub, req);
      } catch (err) {
        lastErr = err;
        if (amqpCode(err) === 406) throw new RpcError('RPC_CONFIG', `broker refused declaration: ${errText(err)}`, { cause: err });
        if (this.closing) throw new RpcClosedError();
        await delay(Math.min(100, Math.max(0, deadline - Date.now())));
      }
    }
  }

  private confirmPublish(pub: PubChannel, req: PublishRequest): Promise<PublishResult> {
    const exchange = req.exchange?.name ?? '';
    const entry: PendingReturn = { exchange, routingKey: req.routingKey, returned: false };
    if (req.mandatory) pub.pending.push(entry);
    const drop = (): void => {
      const i = pub.pending.indexOf(entry);
      if (i >= 0) pub.pending.splice(i, 1);
    };
    return new Promise<PublishResult>((resolve, reject) => {
      try {
        // A3: exactly these properties; no reply_to/correlation_id/message_id (oslo carries them in the body).
        pub.ch.publish(
          exchange,
          req.routingKey,
          req.body,
          {
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            deliveryMode: 2,
            priority: 0,
            headers: {},
            mandatory: req.mandatory ?? false,
            ...(req.expiration !== undefined ? { expiration: req.expiration } : {}),
          },
          (err: unknown) => {
            drop();
            if (err) reject(err instanceof Error ? err : new Error(`publish not confirmed: ${String(err)}`));
            else resolve({ returned: entry.returned });
          },
        );
      } catch (err) {
        drop();
        reject(err);
      }
    });
  }

  private async pubChannel(): Promise<PubChannel> {
    if (this.pub && !this.pub.closed) return this.pub;
    if (this.pubOpening) return this.pubOpening;
    const model = this.model;
    if (!model) throw new RpcNotConnectedError('not connected');
    const opening = (async () => {
      const ch = await model.createConfirmChannel();
      const pub: PubChannel = { ch, declared: new Set(), pending: [], closed: false };
      ch.on('error', (err: Error) => this.logger.warn({ err }, 'AMQP publish channel error'));
      ch.on('close', () => {
        pub.closed = true;
        if (this.pub === pub) this.pub = null;
      });
      // basic.return arrives before the basic.ack of the same message, in publish
      // order: the oldest unconfirmed mandatory publish to this key is the one returned.
      ch.on('return', (msg: Message) => {
        const e = pub.pending.find(
          (p) => !p.returned && p.exchange === msg.fields.exchange && p.routingKey === msg.fields.routingKey,
        );
        if (e) e.returned = true;
      });
      this.pub = pub;
      return pub;
    })();
    this.pubOpening = opening;
    try {
      return await opening;
    } finally {
      if (this.pubOpening === opening) this.pubOpening = null;
    }
  }
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** AMQP reply code of a channel/connection error from amqplib, if any. */
export function amqpCode(err: unknown): number | null {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const c = (err as { code: unknown }).code;
    if (typeof c === 'number') return c;
  }
  return null;
}
