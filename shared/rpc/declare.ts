/** Applies a ConsumerSpec (options.ts) to a channel: exchange, queue, binding. */
import type { Channel } from 'amqplib';
import type { ConsumerSpec, ExchangeSpec } from './options.js';

export async function declareExchange(ch: Channel, ex: ExchangeSpec): Promise<void> {
  await ch.assertExchange(ex.name, ex.type, { durable: ex.durable, autoDelete: ex.autoDelete });
}

/**
 * kombu Queue.declare(): exchange (if any), queue, then bind with the routing
 * key. Queues on the default exchange (reply queues) get no explicit bind.
 */
export async function declareConsumer(ch: Channel, spec: ConsumerSpec): Promise<void> {
  if (spec.exchange) await declareExchange(ch, spec.exchange);
  await ch.assertQueue(spec.queue.name, {
    durable: spec.queue.durable,
    autoDelete: spec.queue.autoDelete,
    exclusive: spec.queue.exclusive,
    arguments: { ...spec.queue.arguments },
  });
  if (spec.exchange) await ch.bindQueue(spec.queue.name, spec.exchange.name, spec.routingKey);
}
