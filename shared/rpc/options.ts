/**
 * [oslo_messaging_rabbit] options and the exact declare arguments oslo.messaging
 * 14.0.3 (impl_rabbit.py) derives from them. A declaration that differs from what
 * already exists on the broker in durable/auto_delete/arguments is refused with
 * 406 PRECONDITION_FAILED, so these must match oslo byte for byte.
 */
import { RpcConfigError } from './errors.js';

export interface RabbitOptions {
  amqpDurableQueues: boolean;
  amqpAutoDelete: boolean;
  rabbitHaQueues: boolean;
  rabbitQuorumQueue: boolean;
  /** rabbit_quorum_delivery_limit (this one is spelled correctly in 14.0.3). */
  rabbitQuorumDeliveryLimit: number;
  /** rabbit_quroum_max_memory_length: the option name is misspelled in oslo 14.0.3. */
  rabbitQuorumMaxMemoryLength: number;
  /** rabbit_quroum_max_memory_bytes: misspelled in oslo 14.0.3 as well. */
  rabbitQuorumMaxMemoryBytes: number;
  /** Seconds, default 1800; 0 disables x-expires on fanout and reply queues. */
  rabbitTransientQueuesTtl: number;
  /** Seconds, default 60; 0 disables heartbeats. */
  heartbeatTimeoutThreshold: number;
  rabbitLoginMethod: 'AMQPLAIN' | 'PLAIN';
  /** Seconds, default 60: how long a server retries a reply to a missing reply queue. */
  kombuMissingConsumerRetryTimeout: number;
}

export const DEFAULT_RABBIT_OPTIONS: RabbitOptions = Object.freeze({
  amqpDurableQueues: false,
  amqpAutoDelete: false,
  rabbitHaQueues: false,
  rabbitQuorumQueue: false,
  rabbitQuorumDeliveryLimit: 0,
  rabbitQuorumMaxMemoryLength: 0,
  rabbitQuorumMaxMemoryBytes: 0,
  rabbitTransientQueuesTtl: 1800,
  heartbeatTimeoutThreshold: 60,
  rabbitLoginMethod: 'AMQPLAIN',
  kombuMissingConsumerRetryTimeout: 60,
});

/** Merges and validates; throws RpcConfigError like oslo's _get_queue_arguments. */
export function resolveRabbitOptions(partial?: Partial<RabbitOptions>): RabbitOptions {
  const o: RabbitOptions = { ...DEFAULT_RABBIT_OPTIONS, ...stripUndefined(partial ?? {}) };
  if (o.rabbitQuorumQueue && o.rabbitHaQueues) {
    throw new RpcConfigError(
      'rabbit_quorum_queue and rabbit_ha_queues both enabled: queue type is quorum or HA (mirrored), not both',
    );
  }
  if (o.rabbitLoginMethod !== 'AMQPLAIN' && o.rabbitLoginMethod !== 'PLAIN') {
    throw new RpcConfigError(`rabbit_login_method ${String(o.rabbitLoginMethod)} is not supported (AMQPLAIN or PLAIN)`);
  }
  for (const k of [
    'rabbitQuorumDeliveryLimit',
    'rabbitQuorumMaxMemoryLength',
    'rabbitQuorumMaxMemoryBytes',
    'rabbitTransientQueuesTtl',
    'heartbeatTimeoutThreshold',
    'kombuMissingConsumerRetryTimeout',
  ] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0) throw new RpcConfigError(`${k} must be a non-negative integer`);
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Queue arguments as an AMQP table; values are plain strings and integers. */
export type QueueArguments = Record<string, string | number>;

export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'fanout';
  durable: boolean;
  autoDelete: boolean;
}

export interface QueueSpec {
  name: string;
  durable: boolean;
  autoDelete: boolean;
  /** Never exclusive in oslo: queues outlive the connection (reply/fanout expire via x-expires). */
  exclusive: false;
  arguments: QueueArguments;
}

/** Everything one consumer declares: exchange (absent for the default exchange), queue, binding key. */
export interface ConsumerSpec {
  exchange: ExchangeSpec | null;
  queue: QueueSpec;
  routingKey: string;
}

/** oslo Connection.durable: quorum queues are always durable, so quorum forces it. */
export function isDurable(o: RabbitOptions): boolean {
  return o.amqpDurableQueues || o.rabbitQuorumQueue;
}

/**
 * oslo _get_queue_arguments(). Insertion order follows oslo (ha, quorum type,
 * quorum limits, x-expires); order is irrelevant to RabbitMQ's equivalence check.
 * Quorum sub-options are only added when non-zero.
 */
export function queueArguments(o: RabbitOptions, p: { ttlSeconds: number; quorum: boolean }): QueueArguments {
  const args: QueueArguments = {};
  if (o.rabbitHaQueues) args['x-ha-policy'] = 'all';
  if (p.quorum) {
    args['x-queue-type'] = 'quorum';
    if (o.rabbitQuorumDeliveryLimit) args['x-delivery-limit'] = o.rabbitQuorumDeliveryLimit;
    if (o.rabbitQuorumMaxMemoryLength) args['x-max-in-memory-length'] = o.rabbitQuorumMaxMemoryLength;
    if (o.rabbitQuorumMaxMemoryBytes) args['x-max-in-memory-bytes'] = o.rabbitQuorumMaxMemoryBytes;
  }
  if (p.ttlSeconds > 0) args['x-expires'] = p.ttlSeconds * 1000;
  return args;
}

/** The control exchange (`neutron`), as both consumers and publishers declare it (topic_send). */
export function controlExchangeSpec(o: RabbitOptions, name: string): ExchangeSpec {
  return { name, type: 'topic', durable: isDurable(o), autoDelete: o.amqpAutoDelete };
}

/** `<topic>_fanout`: always transient and auto_delete=true, whatever the options (fanout_send). */
export function fanoutExchangeSpec(topic: string): ExchangeSpec {
  return { name: `${topic}_fanout`, type: 'fanout', durable: false, autoDelete: true };
}

/**
 * declare_topic_consumer: `<topic>` or `<topic>.<host>` on the control exchange.
 * No x-expires (rabbit_queue_ttl stays 0): casts to an agent's host queue wait while it is down.
 */
export function topicConsumerSpec(o: RabbitOptions, controlExchange: string, queueAndKey: string): ConsumerSpec {
  return {
    exchange: controlExchangeSpec(o, controlExchange),
    queue: {
      name: queueAndKey,
      durable: isDurable(o),
      autoDelete: o.amqpAutoDelete,
      exclusive: false,
      arguments: queueArguments(o, { ttlSeconds: 0, quorum: o.rabbitQuorumQueue }),
    },
    routingKey: queueAndKey,
  };
}

/**
 * declare_fanout_consumer: `<topic>_fanout_<uuid hex>` bound with key `<topic>`
 * (ignored by a fanout exchange, but that is what oslo binds with). Never quorum,
 * never durable; HA and x-expires apply.
 */
export function fanoutConsumerSpec(o: RabbitOptions, topic: string, uuidHex: string): ConsumerSpec {
  return {
    exchange: fanoutExchangeSpec(topic),
    queue: {
      name: `${topic}_fanout_${uuidHex}`,
      durable: false,
      autoDelete: false,
      exclusive: false,
      arguments: queueArguments(o, { ttlSeconds: o.rabbitTransientQueuesTtl, quorum: false }),
    },
    routingKey: topic,
  };
}

/**
 * declare_direct_consumer: `reply_<uuid hex>` on the default exchange (no explicit
 * bind, the default exchange routes by queue name). HA applies, quorum never.
 */
export function replyConsumerSpec(o: RabbitOptions, queueName: string): ConsumerSpec {
  return {
    exchange: null,
    queue: {
      name: queueName,
      durable: false,
      autoDelete: false,
      exclusive: false,
      arguments: queueArguments(o, { ttlSeconds: o.rabbitTransientQueuesTtl, quorum: false }),
    },
    routingKey: queueName,
  };
}
