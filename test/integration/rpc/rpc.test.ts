/**
 * nucleon client ↔ nucleon server through the real RabbitMQ on 127.0.0.1:5672:
 * call / cast / fanout, failures, wire properties, and bad input published
 * straight to the server's queues.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { GetMessage } from 'amqplib';
import {
  OsloConnection,
  OsloRpcServer,
  OsloRpcClient,
  RemoteError,
  RpcTimeoutError,
  RpcHandlerError,
  CONTEXT_KEYS,
  type RpcContext,
} from '../../../shared/rpc/index.js';
import { replyWaiterFor } from '../../../shared/rpc/reply-waiter.js';
import { BROKER_URL, RawBroker, captureLogger, eventually, runPrefix, sleep } from './helpers.js';

describe('nucleon ↔ nucleon over RabbitMQ', () => {
  const prefix = runPrefix();
  const exchange = `${prefix}-ex`;
  const topic = `${prefix}-topic`;
  const cap = captureLogger();
  let conn: OsloConnection;
  let conn2: OsloConnection;
  let s1: OsloRpcServer;
  let s2: OsloRpcServer;
  let client: OsloRpcClient;
  let raw: RawBroker;
  const casts: Array<{ host: string; method: string; args: Record<string, unknown>; ctx: RpcContext }> = [];
  const queues = new Set<string>();

  function endpoints(host: string) {
    return [
      {
        version: '1.3',
        methods: {
          echo: (_ctx: RpcContext, args: Record<string, unknown>) => ({ host, args }),
          whoami: () => host,
          ctx: (ctx: RpcContext) => ctx,
          note: (ctx: RpcContext, args: Record<string, unknown>) => {
            casts.push({ host, method: 'note', args, ctx });
          },
          boom: () => {
            throw new RpcHandlerError('port p1 not found', 'PortNotFound', 'neutron_lib.exceptions');
          },
          jsboom: () => {
            throw new Error('plain failure');
          },
          size: (_ctx: RpcContext, args: Record<string, unknown>) => String(args['blob'] ?? '').length,
          slow: async (_ctx: RpcContext, args: Record<string, unknown>) => {
            await sleep(Number(args['ms'] ?? 0));
            return 'done';
          },
        },
      },
    ];
  }

  before(async () => {
    raw = await RawBroker.open();
    conn = new OsloConnection({ transportUrl: BROKER_URL, controlExchange: exchange, logger: cap.logger, connectionName: 'rpc-test' });
    conn2 = new OsloConnection({ transportUrl: BROKER_URL, controlExchange: exchange, logger: cap.logger, rabbit: { rabbitLoginMethod: 'PLAIN' } });
    conn.start();
    conn2.start();
    await conn.waitConnected(10_000);
    await conn2.waitConnected(10_000);
    s1 = new OsloRpcServer(conn, { topic, server: 'host1', endpoints: endpoints('host1'), logger: cap.logger });
    s2 = new OsloRpcServer(conn2, { topic, server: 'host2', endpoints: endpoints('host2'), logger: cap.logger });
    await s1.start();
    await s2.start();
    for (const q of [...s1.queues, ...s2.queues]) queues.add(q);
    client = new OsloRpcClient(conn, { topic, version: '1.0', timeoutMs: 5000, logger: cap.logger });
  });

  after(async () => {
    queues.add(replyWaiterFor(conn).queueName);
    await s1?.stop();
    await s2?.stop();
    await conn?.close();
    await conn2?.close();
    await raw.deleteAll(queues, [exchange, `${topic}_fanout`]);
    await raw.close();
  });

  test('declares the three queues an oslo server declares', () => {
    assert.equal(s1.queues[0], topic);
    assert.equal(s1.queues[1], `${topic}.host1`);
    assert.match(s1.queues[2]!, new RegExp(`^${topic}_fanout_[0-9a-f]{32}$`));
  });

  test('call to a topic and to topic.host', async () => {
    const r = await client.call<{ host: string; args: unknown }>('echo', { a: 1, nested: { b: [1, 'x', null] } });
    assert.deepEqual(r.args, { a: 1, nested: { b: [1, 'x', null] } });
    assert.equal(await client.call('whoami', {}, { server: 'host2' }), 'host2');
    assert.equal(await client.call('whoami', {}, { server: 'host1' }), 'host1');
  });

  test('the handler sees the caller\'s context fields, with defaults filled in', async () => {
    const ctx = await client.call<RpcContext>('ctx', {}, { context: { tenant_id: 'p1', request_id: 'req-fixed' } });
    assert.equal(ctx['tenant_id'], 'p1');
    assert.equal(ctx['request_id'], 'req-fixed');
    assert.equal(ctx['is_admin'], true);
    for (const k of CONTEXT_KEYS) assert.ok(k in ctx, k);
  });

  test('cast to topic.host and fanout cast to every server', async () => {
    await client.cast('note', { n: 1 }, { server: 'host2' });
    await eventually(() => casts.some((c) => c.host === 'host2' && c.args['n'] === 1), 'cast to host2');
    await client.cast('note', { n: 2 }, { fanout: true });
    await eventually(() => casts.filter((c) => c.args['n'] === 2).length === 2, 'fanout to both servers');
    assert.deepEqual(casts.filter((c) => c.args['n'] === 2).map((c) => c.host).sort(), ['host1', 'host2']);
  });

  test('remote failures: explicit class, plain JS error, NoSuchMethod, UnsupportedVersion', async () => {
    await assert.rejects(client.call('boom', {}), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.remoteClass, 'PortNotFound');
      assert.equal(e.remoteModule, 'neutron_lib.exceptions');
      assert.equal(e.remoteMessage, 'port p1 not found');
      return true;
    });
    await assert.rejects(client.call('jsboom', {}), (e: unknown) => e instanceof RemoteError && e.remoteClass === 'Exception' && e.remoteMessage === 'plain failure');
    await assert.rejects(client.call('nope', {}), (e: unknown) => e instanceof RemoteError && e.remoteClass === 'NoSuchMethod' && e.remoteModule === 'oslo_messaging.rpc.dispatcher');
    await assert.rejects(client.call('echo', {}, { version: '1.4' }), (e: unknown) => e instanceof RemoteError && e.remoteClass === 'UnsupportedVersion');
  });

  test('a call nobody answers fails with RpcTimeoutError', async () => {
    const lonely = new OsloRpcClient(conn, { topic: `${prefix}-nobody`, timeoutMs: 300, logger: cap.logger });
    await assert.rejects(lonely.call('x', {}), (e: unknown) => e instanceof RpcTimeoutError && e.method === 'x' && e.timeoutMs === 300);
  });

  test('backing-off timeout doubles the method timeout up to the max', async () => {
    const c = new OsloRpcClient(conn, { topic: `${prefix}-nobody`, timeoutMs: 100, maxTimeoutMs: 300, backoffOnTimeout: true, logger: cap.logger });
    await assert.rejects(c.call('x', {}), RpcTimeoutError);
    assert.equal(c.currentTimeoutMs('x'), 200);
    await assert.rejects(c.call('x', {}), (e: unknown) => e instanceof RpcTimeoutError && e.timeoutMs === 200);
    assert.equal(c.currentTimeoutMs('x'), 300);
    await assert.rejects(c.call('x', {}), RpcTimeoutError);
    assert.equal(c.currentTimeoutMs('x'), 300);
    assert.equal(c.currentTimeoutMs('y'), 100, 'per method');
    await assert.rejects(c.call('z', {}, { timeoutMs: 50 }), RpcTimeoutError);
    assert.equal(c.currentTimeoutMs('z'), 100, 'explicit timeouts are not backed off');
  });

  test('concurrent calls are matched to their replies', async () => {
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call<{ args: { i: number } }>('echo', { i })));
    rs.forEach((r, i) => assert.equal(r.args.i, i));
  });

  test('wire format of a call: body fields and AMQP properties (A3/A4)', async () => {
    // Bind a spy queue to the control exchange with a key nobody else uses.
    const spyKey = `${prefix}-spy`;
    const spyQ = `${prefix}-spyq`;
    queues.add(spyQ);
    await raw.ch.assertQueue(spyQ, { durable: false, autoDelete: false });
    await raw.ch.bindQueue(spyQ, exchange, spyKey);
    const spy = new OsloRpcClient(conn, { topic: spyKey, version: '1.2', timeoutMs: 30_000, logger: cap.logger });
    const pending = spy.call('report_state', { agent_state: {} });
    const m = (await eventually(() => raw.ch.get(spyQ, { noAck: true }), 'call on spy queue')) as GetMessage;
    assert.equal(m.properties.contentType, 'application/json');
    assert.equal(m.properties.contentEncoding, 'utf-8');
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(m.properties.priority, 0);
    assert.deepEqual(m.properties.headers, {});
    assert.equal(m.properties.expiration, '30000');
    assert.equal(m.properties.replyTo, undefined);
    assert.equal(m.properties.correlationId, undefined);
    const outer = JSON.parse(m.content.toString()) as Record<string, string>;
    assert.equal(outer['oslo.version'], '2.0');
    const inner = JSON.parse(outer['oslo.message']!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(inner).slice(0, 7), ['method', 'args', 'version', '_msg_id', '_reply_q', '_timeout', '_unique_id']);
    assert.equal(inner['version'], '1.2');
    assert.equal(inner['_timeout'], null);
    assert.match(String(inner['_msg_id']), /^[0-9a-f]{32}$/);
    assert.match(String(inner['_unique_id']), /^[0-9a-f]{32}$/);
    assert.equal(inner['_reply_q'], replyWaiterFor(conn).queueName);
    assert.match(String(inner['_reply_q']), /^reply_[0-9a-f]{32}$/);
    // Answer it by hand the way a Python server does: one message, default exchange.
    const reply = { result: 'alive', failure: null, ending: true, _msg_id: inner['_msg_id'], _unique_id: 'r1' };
    raw.ch.publish('', String(inner['_reply_q']), Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(reply) })));
    assert.equal(await pending, 'alive');
    // A cast has no _msg_id/_reply_q/_timeout and no expiration.
    await spy.cast('note', {});
    const c = (await eventually(() => raw.ch.get(spyQ, { noAck: true }), 'cast on spy queue')) as GetMessage;
    assert.equal(c.properties.expiration, undefined);
    const ci = JSON.parse((JSON.parse(c.content.toString()) as Record<string, string>)['oslo.message']!) as Record<string, unknown>;
    assert.ok(!('_msg_id' in ci) && !('_reply_q' in ci) && !('_timeout' in ci) && '_unique_id' in ci);
  });

  describe('bad input published straight to the server queues', () => {
    const replyQ = `${prefix}-rawreply`;
    const replies: Array<Record<string, unknown>> = [];

    before(async () => {
      queues.add(replyQ);
      await raw.ch.assertQueue(replyQ, { durable: false, autoDelete: false });
      await raw.ch.consume(replyQ, (m) => {
        if (!m) return;
        const outer = JSON.parse(m.content.toString()) as Record<string, string>;
        replies.push(JSON.parse(outer['oslo.message']!) as Record<string, unknown>);
      }, { noAck: true });
    });

    function rawCall(body: unknown, msgId: string): Buffer {
      return Buffer.from(JSON.stringify(body));
    }
    function inner(method: unknown, args: unknown, msgId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
      return { method, args, _msg_id: msgId, _reply_q: replyQ, _unique_id: msgId + 'u', ...extra };
    }
    function env(m: Record<string, unknown>, version = '2.0'): Record<string, unknown> {
      return { 'oslo.version': version, 'oslo.message': JSON.stringify(m) };
    }
    async function failureOf(msgId: string): Promise<Record<string, unknown>> {
      const r = await eventually(() => replies.find((x) => x['_msg_id'] === msgId), `reply ${msgId}`);
      assert.equal(r!['ending'], true);
      return JSON.parse(String(r!['failure'])) as Record<string, unknown>;
    }

    test('each bad message is logged, answered when someone waits, and the server goes on', async () => {
      const q = `${topic}.host1`;
      const pub = (b: Buffer) => raw.ch.publish('', q, b, { contentType: 'application/json' });
      pub(Buffer.from('{this is not json'));
      pub(Buffer.from('[1,2,3]'));
      pub(rawCall(env(inner('echo', {}, 'envv'), '3.0'), 'envv'));
      pub(rawCall(env(inner('echo', [1, 2], 'listargs')), 'listargs'));
      pub(rawCall(env(inner('echo', 'str', 'strargs')), 'strargs'));
      pub(rawCall(env(inner('no_such', {}, 'nosuch')), 'nosuch'));
      pub(rawCall(env(inner(42, {}, 'nummethod')), 'nummethod'));
      pub(Buffer.alloc(5 * 1024 * 1024, 0x61)); // 5 MB of 'a': not JSON
      pub(rawCall(env(inner('size', { blob: 'b'.repeat(5 * 1024 * 1024) }, 'bigok')), 'bigok'));
      // An oslo 1.0 un-enveloped message is accepted as is.
      pub(rawCall(inner('whoami', {}, 'v1msg'), 'v1msg'));

      const fEnv = await failureOf('envv');
      assert.equal(fEnv['class'], 'UnsupportedRpcEnvelopeVersion');
      assert.equal(fEnv['module'], 'oslo_messaging._drivers.common');
      const fList = await failureOf('listargs');
      assert.equal(fList['class'], 'AttributeError');
      assert.equal(fList['message'], "'list' object has no attribute 'items'");
      assert.equal((await failureOf('strargs'))['class'], 'AttributeError');
      const fNo = await failureOf('nosuch');
      assert.equal(fNo['class'], 'NoSuchMethod');
      assert.equal(fNo['message'], 'Endpoint does not support RPC method no_such');
      assert.equal((await failureOf('nummethod'))['class'], 'NoSuchMethod');
      const big = await eventually(() => replies.find((x) => x['_msg_id'] === 'bigok'), 'big reply', 20_000);
      assert.equal(big!['result'], 5 * 1024 * 1024);
      const v1 = await eventually(() => replies.find((x) => x['_msg_id'] === 'v1msg'), 'v1 reply');
      assert.equal(v1!['result'], 'host1');

      // Still serving.
      assert.equal(await client.call('whoami', {}, { server: 'host1' }), 'host1');
      const dropped = cap.find('dropping undecodable RPC message');
      assert.ok(dropped.length >= 4, `logged ${dropped.length} undecodable messages`);
      assert.ok(dropped.some((l) => l['bytes'] === 5 * 1024 * 1024));
      assert.ok(cap.find('RPC request refused').length >= 4);
    });

    test('a duplicate _unique_id is suppressed (no second dispatch, no second reply)', async () => {
      const before = casts.length;
      const cast = env({ method: 'note', args: { dup: true }, _unique_id: `${prefix}dupcast` });
      raw.ch.publish('', `${topic}.host2`, Buffer.from(JSON.stringify(cast)));
      raw.ch.publish('', `${topic}.host2`, Buffer.from(JSON.stringify(cast)));
      const call = env(inner('whoami', {}, 'dupcall', { _unique_id: `${prefix}dupcall` }));
      raw.ch.publish('', `${topic}.host2`, Buffer.from(JSON.stringify(call)));
      raw.ch.publish('', `${topic}.host2`, Buffer.from(JSON.stringify(call)));
      await eventually(() => casts.length > before, 'first cast');
      await eventually(() => replies.some((r) => r['_msg_id'] === 'dupcall'), 'first reply');
      await sleep(500);
      assert.equal(casts.filter((c) => c.args['dup'] === true).length, 1);
      assert.equal(replies.filter((r) => r['_msg_id'] === 'dupcall').length, 1);
      assert.ok(cap.find('ignoring duplicate RPC message').length >= 2);
    });
  });
});

describe('connection behaviour without a broker', () => {
  test('an unreachable broker gives a retry loop with one log line per attempt, password masked', async () => {
    const cap = captureLogger();
    const conn = new OsloConnection({ transportUrl: 'rabbit://nucleon:s3cr3tpw@127.0.0.1:1/', logger: cap.logger });
    conn.start();
    await assert.rejects(conn.waitConnected(2500), /not connected/);
    const attempts = cap.find('AMQP connect failed, retrying');
    assert.ok(attempts.length >= 2, `${attempts.length} attempts logged`);
    assert.equal(attempts[0]!['retryInMs'], 1000);
    assert.equal(attempts[1]!['retryInMs'], 2000);
    assert.ok(cap.raw.every((l) => !l.includes('s3cr3tpw')), 'password never logged');
    assert.ok(cap.raw.some((l) => l.includes('nucleon:***@127.0.0.1:1')));
    const client = new OsloRpcClient(conn, { topic: 'x', timeoutMs: 300, logger: cap.logger });
    await assert.rejects(client.call('m', {}), (e: unknown) => e instanceof RpcTimeoutError && /no connection to the broker/.test(e.message));
    await conn.close();
  });

  test('several hosts: a dead one is skipped round-robin', async () => {
    const cap = captureLogger();
    const conn = new OsloConnection({ transportUrl: 'rabbit://guest:guest@127.0.0.1:1,guest:guest@127.0.0.1:5672/', logger: cap.logger });
    conn.start();
    await conn.waitConnected(10_000);
    assert.equal(conn.connected, true);
    await conn.close();
  });
});
