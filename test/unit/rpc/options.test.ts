import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_RABBIT_OPTIONS,
  resolveRabbitOptions,
  controlExchangeSpec,
  topicConsumerSpec,
  fanoutConsumerSpec,
  replyConsumerSpec,
  type RabbitOptions,
} from '../../../shared/rpc/options.js';
import { RpcConfigError } from '../../../shared/rpc/errors.js';

test('defaults match oslo.messaging 14.0.3', () => {
  assert.deepEqual(DEFAULT_RABBIT_OPTIONS, {
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
});

test('defaults give exactly the recorded lab declarations (queues.txt / exchanges.txt)', () => {
  const o = resolveRabbitOptions();
  assert.deepEqual(controlExchangeSpec(o, 'neutron'), { name: 'neutron', type: 'topic', durable: false, autoDelete: false });
  assert.deepEqual(topicConsumerSpec(o, 'neutron', 'dhcp_agent.vm').queue, {
    name: 'dhcp_agent.vm', durable: false, autoDelete: false, exclusive: false, arguments: {},
  });
  const f = fanoutConsumerSpec(o, 'dhcp_agent', 'de1b2e24104c4d3c9d8d4651ea673273');
  assert.deepEqual(f, {
    exchange: { name: 'dhcp_agent_fanout', type: 'fanout', durable: false, autoDelete: true },
    queue: { name: 'dhcp_agent_fanout_de1b2e24104c4d3c9d8d4651ea673273', durable: false, autoDelete: false, exclusive: false, arguments: { 'x-expires': 1800000 } },
    routingKey: 'dhcp_agent',
  });
  assert.deepEqual(replyConsumerSpec(o, 'reply_x'), {
    exchange: null,
    queue: { name: 'reply_x', durable: false, autoDelete: false, exclusive: false, arguments: { 'x-expires': 1800000 } },
    routingKey: 'reply_x',
  });
});

test('every combination of durable / auto_delete / HA / quorum (impl_rabbit rules)', () => {
  for (const durable of [false, true])
    for (const autoDelete of [false, true])
      for (const ha of [false, true])
        for (const quorum of [false, true]) {
          const partial: Partial<RabbitOptions> = { amqpDurableQueues: durable, amqpAutoDelete: autoDelete, rabbitHaQueues: ha, rabbitQuorumQueue: quorum };
          const label = JSON.stringify(partial);
          if (ha && quorum) {
            assert.throws(() => resolveRabbitOptions(partial), RpcConfigError, label);
            continue;
          }
          const o = resolveRabbitOptions(partial);
          const effDurable = durable || quorum; // Connection.durable
          const topicArgs: Record<string, unknown> = {};
          if (ha) topicArgs['x-ha-policy'] = 'all';
          if (quorum) topicArgs['x-queue-type'] = 'quorum';
          const transientArgs: Record<string, unknown> = {};
          if (ha) transientArgs['x-ha-policy'] = 'all';
          transientArgs['x-expires'] = 1800000;

          const ctl = controlExchangeSpec(o, 'neutron');
          assert.deepEqual(ctl, { name: 'neutron', type: 'topic', durable: effDurable, autoDelete: autoDelete }, label);
          for (const q of ['t', 't.host']) {
            const s = topicConsumerSpec(o, 'neutron', q);
            assert.deepEqual(s.exchange, ctl, label);
            assert.deepEqual(s.queue, { name: q, durable: effDurable, autoDelete, exclusive: false, arguments: topicArgs }, label);
            assert.equal(s.routingKey, q);
          }
          const f = fanoutConsumerSpec(o, 't', 'abc');
          assert.deepEqual(f.exchange, { name: 't_fanout', type: 'fanout', durable: false, autoDelete: true }, label);
          assert.deepEqual(f.queue, { name: 't_fanout_abc', durable: false, autoDelete: false, exclusive: false, arguments: transientArgs }, label);
          const r = replyConsumerSpec(o, 'reply_abc');
          assert.deepEqual(r.queue, { name: 'reply_abc', durable: false, autoDelete: false, exclusive: false, arguments: transientArgs }, label);
        }
});

test('quorum sub-options (misspelled rabbit_quroum_* in oslo) only when non-zero, topic queues only', () => {
  const o = resolveRabbitOptions({ rabbitQuorumQueue: true, rabbitQuorumDeliveryLimit: 5, rabbitQuorumMaxMemoryLength: 100, rabbitQuorumMaxMemoryBytes: 0 });
  assert.deepEqual(topicConsumerSpec(o, 'neutron', 't').queue.arguments, { 'x-queue-type': 'quorum', 'x-delivery-limit': 5, 'x-max-in-memory-length': 100 });
  const o2 = resolveRabbitOptions({ rabbitQuorumQueue: true, rabbitQuorumMaxMemoryBytes: 4096 });
  assert.deepEqual(topicConsumerSpec(o2, 'neutron', 't').queue.arguments, { 'x-queue-type': 'quorum', 'x-max-in-memory-bytes': 4096 });
  assert.deepEqual(fanoutConsumerSpec(o, 't', 'u').queue.arguments, { 'x-expires': 1800000 });
});

test('rabbit_transient_queues_ttl=0 drops x-expires; other values scale to ms', () => {
  assert.deepEqual(fanoutConsumerSpec(resolveRabbitOptions({ rabbitTransientQueuesTtl: 0 }), 't', 'u').queue.arguments, {});
  assert.deepEqual(replyConsumerSpec(resolveRabbitOptions({ rabbitTransientQueuesTtl: 60 }), 'r').queue.arguments, { 'x-expires': 60000 });
});

test('invalid option values are refused', () => {
  assert.throws(() => resolveRabbitOptions({ rabbitTransientQueuesTtl: -1 }), RpcConfigError);
  assert.throws(() => resolveRabbitOptions({ rabbitLoginMethod: 'EXTERNAL' as 'PLAIN' }), RpcConfigError);
});
