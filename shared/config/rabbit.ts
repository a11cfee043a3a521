/**
 * [oslo_messaging_rabbit] → the options shared/rpc needs to declare queues and
 * exchanges exactly as the Python agents do (PROTOCOL.md A1).
 */
import { ConfigError, CONFIG_ERROR_CODES } from './errors.js';
import type { GroupOf } from './schema.js';
import type { CommonSchema } from './schemas/common.js';
import type { RabbitOptions } from '../rpc/options.js';

/** The RPC layer's own option type: one definition, read from the config here. */
export type RabbitConfig = RabbitOptions;

type RabbitGroup = GroupOf<(typeof CommonSchema)['oslo_messaging_rabbit']>;

/**
 * Maps the resolved common config. EXTERNAL and RABBIT-CR-DEMO are valid in
 * oslo.messaging but not supported by nucleon's AMQP client: a ConfigError.
 */
export function toRabbitOptions(common: { readonly oslo_messaging_rabbit: RabbitGroup }): RabbitConfig {
  const r = common.oslo_messaging_rabbit;
  const method = r.rabbit_login_method;
  if (method !== 'AMQPLAIN' && method !== 'PLAIN') {
    const reason = 'login method not supported by nucleon (use AMQPLAIN or PLAIN)';
    throw new ConfigError(CONFIG_ERROR_CODES.VALUE, `[oslo_messaging_rabbit] rabbit_login_method = ${JSON.stringify(method)}: ${reason}`, {
      section: 'oslo_messaging_rabbit',
      option: 'rabbit_login_method',
      value: method,
      reason,
    });
  }
  return {
    amqpDurableQueues: r.amqp_durable_queues,
    amqpAutoDelete: r.amqp_auto_delete,
    rabbitHaQueues: r.rabbit_ha_queues,
    rabbitQuorumQueue: r.rabbit_quorum_queue,
    rabbitQuorumDeliveryLimit: r.rabbit_quorum_delivery_limit,
    rabbitQuorumMaxMemoryLength: r.rabbit_quroum_max_memory_length,
    rabbitQuorumMaxMemoryBytes: r.rabbit_quroum_max_memory_bytes,
    rabbitTransientQueuesTtl: r.rabbit_transient_queues_ttl,
    heartbeatTimeoutThreshold: r.heartbeat_timeout_threshold,
    rabbitLoginMethod: method,
    kombuMissingConsumerRetryTimeout: r.kombu_missing_consumer_retry_timeout,
  };
}
