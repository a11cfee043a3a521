/**
 * For each combination of durable / auto_delete / HA / quorum options, queues and
 * exchanges declared first by oslo.messaging are re-declared by nucleon without
 * 406 PRECONDITION_FAILED, and the other way round; then both sides talk.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OsloConnection, OsloRpcServer, OsloRpcClient, type RabbitOptions } from '../../../shared/rpc/index.js';
import { replyWaiterFor } from '../../../shared/rpc/reply-waiter.js';
import { BROKER_URL, RawBroker, captureLogger, runPrefix } from '../../integration/rpc/helpers.js';
import { PyPeer } from './py-peer.js';

interface Combo {
  name: string;
  ts: Partial<RabbitOptions>;
  /** oslo option names exactly as in oslo.messaging 14.0.3, misspellings included. */
  py: Record<string, string | number | boolean>;
}

const COMBOS: Combo[] = [
  { name: 'defaults', ts: {}, py: {} },
  { name: 'durable', ts: { amqpDurableQueues: true }, py: { amqp_durable_queues: true } },
  { name: 'auto_delete', ts: { amqpAutoDelete: true }, py: { amqp_auto_delete: true } },
  { name: 'ha', ts: { rabbitHaQueues: true }, py: { rabbit_ha_queues: true } },
  { name: 'durable+ha', ts: { amqpDurableQueues: true, rabbitHaQueues: true }, py: { amqp_durable_queues: true, rabbit_ha_queues: true } },
  { name: 'quorum', ts: { rabbitQuorumQueue: true }, py: { rabbit_quorum_queue: true } },
  {
    name: 'quorum+limits',
    ts: { rabbitQuorumQueue: true, rabbitQuorumDeliveryLimit: 5, rabbitQuorumMaxMemoryLength: 100, rabbitQuorumMaxMemoryBytes: 1048576 },
    py: { rabbit_quorum_queue: true, rabbit_quorum_delivery_limit: 5, rabbit_quroum_max_memory_length: 100, rabbit_quroum_max_memory_bytes: 1048576 },
  },
  { name: 'transient ttl 600', ts: { rabbitTransientQueuesTtl: 600 }, py: { rabbit_transient_queues_ttl: 600 } },
];

async function withSetup(
  combo: Combo,
  fn: (s: { prefix: string; exchange: string; topic: string; conn: OsloConnection; track: (p: PyPeer) => void; servers: OsloRpcServer[] }) => Promise<void>,
): Promise<void> {
  const prefix = runPrefix();
  const exchange = `${prefix}-ex`;
  const topic = `${prefix}-topic`;
  const cap = captureLogger();
  const conn = new OsloConnection({ transportUrl: BROKER_URL, controlExchange: exchange, logger: cap.logger, rabbit: combo.ts });
  const peers: PyPeer[] = [];
  const servers: OsloRpcServer[] = [];
  try {
    await fn({ prefix, exchange, topic, conn, track: (p) => peers.push(p), servers });
  } finally {
    for (const p of peers) await p.stop();
    for (const s of servers) await s.stop();
    const replyQ = replyWaiterFor(conn).queueName;
    await conn.close();
    const raw = await RawBroker.open();
    const queues = new Set([topic, `${topic}.pyhost`, `${topic}.nhost`, replyQ, ...servers.flatMap((s) => s.queues), ...peers.flatMap((p) => p.queues())]);
    await raw.deleteAll(queues, [exchange, `${topic}_fanout`]);
    await raw.close();
  }
}

const endpoints = [{ version: '1.3', methods: { whoami: () => 'nhost', note: () => undefined } }];

describe('declarations are interchangeable with oslo.messaging', () => {
  for (const combo of COMBOS) {
    test(`${combo.name}: oslo declares first, nucleon re-declares and talks`, async () => {
      await withSetup(combo, async ({ exchange, topic, conn, track, servers }) => {
        const peer = new PyPeer({ url: BROKER_URL, exchange, topic, server: 'pyhost', rabbitOpts: combo.py });
        track(peer);
        const ready = await peer.ready();
        assert.equal(ready.event, 'ready', `python server failed: ${JSON.stringify(ready)}`);
        conn.start();
        await conn.waitConnected(10_000);
        const server = new OsloRpcServer(conn, { topic, server: 'nhost', endpoints, logger: conn.logger });
        servers.push(server);
        await server.start(); // rejects on 406
        const client = new OsloRpcClient(conn, { topic, timeoutMs: 10_000, logger: conn.logger });
        assert.equal(await client.call('whoami', {}, { server: 'pyhost' }), 'pyhost');
        assert.equal(await client.call('whoami', {}, { server: 'nhost' }), 'nhost');
        await client.cast('note', { n: 1 }, { fanout: true });
        await peer.waitEvent((e) => e.event === 'cast', 'fanout at python');
      });
    });

    test(`${combo.name}: nucleon declares first, oslo re-declares and talks`, async () => {
      await withSetup(combo, async ({ exchange, topic, conn, track, servers }) => {
        conn.start();
        await conn.waitConnected(10_000);
        const server = new OsloRpcServer(conn, { topic, server: 'nhost', endpoints, logger: conn.logger });
        servers.push(server);
        await server.start();
        // Our reply queue and the exchange as a publisher declares it, too.
        const client = new OsloRpcClient(conn, { topic, timeoutMs: 10_000, logger: conn.logger });
        assert.equal(await client.call('whoami', {}, { server: 'nhost' }), 'nhost');
        await client.cast('note', {}, { fanout: true });
        const peer = new PyPeer({
          url: BROKER_URL,
          exchange,
          topic,
          server: 'pyhost',
          rabbitOpts: combo.py,
          ops: [
            { op: 'call', method: 'whoami', server: 'nhost' },
            { op: 'fanout', method: 'note', args: {} },
          ],
        });
        track(peer);
        const ready = await peer.ready();
        assert.equal(ready.event, 'ready', `python server failed: ${JSON.stringify(ready)}`);
        await peer.done();
        const r = peer.results();
        assert.equal(r[0]!['result'], 'nhost', JSON.stringify(r[0]));
        assert.equal(r[1]!['ok'], true, JSON.stringify(r[1]));
      });
    });
  }

  test('control: a real mismatch (durable vs not) is detected as 406', async () => {
    await withSetup(COMBOS[0]!, async ({ exchange, topic, track }) => {
      const peer = new PyPeer({ url: BROKER_URL, exchange, topic, server: 'pyhost' });
      track(peer);
      assert.equal((await peer.ready()).event, 'ready');
      const cap = captureLogger();
      const conn = new OsloConnection({ transportUrl: BROKER_URL, controlExchange: exchange, logger: cap.logger, rabbit: { amqpDurableQueues: true } });
      conn.start();
      try {
        await conn.waitConnected(10_000);
        const server = new OsloRpcServer(conn, { topic, server: 'nhost', endpoints, logger: cap.logger });
        await assert.rejects(server.start(), /PRECONDITION_FAILED|406/);
      } finally {
        await conn.close();
      }
    });
  });
});
