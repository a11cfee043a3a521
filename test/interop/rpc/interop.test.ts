/**
 * nucleon ↔ Debian's python3-oslo.messaging 14.0.3, both directions, through the
 * local RabbitMQ: the Python peer is test/interop/rpc/py/peer.py.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
import { BROKER_URL, RawBroker, captureLogger, eventually, runPrefix } from '../../integration/rpc/helpers.js';
import { PyPeer } from './py-peer.js';

describe('Python oslo.messaging client → nucleon server', () => {
  const prefix = runPrefix();
  const exchange = `${prefix}-ex`;
  const topic = `${prefix}-topic`;
  const cap = captureLogger();
  const got: Array<{ method: string; args: Record<string, unknown>; ctx: RpcContext }> = [];
  let conn: OsloConnection;
  let server: OsloRpcServer;
  let peer: PyPeer;

  before(async () => {
    conn = new OsloConnection({ transportUrl: BROKER_URL, controlExchange: exchange, logger: cap.logger });
    conn.start();
    await conn.waitConnected(10_000);
    server = new OsloRpcServer(conn, {
      topic,
      server: 'nhost',
      logger: cap.logger,
      endpoints: [
        {
          version: '1.3',
          methods: {
            echo: (_c, args) => ({ host: 'nhost', args }),
            whoami: () => 'nhost',
            ctx: (c) => c,
            note: (ctx, args) => {
              got.push({ method: 'note', args, ctx });
            },
            pyvalue: () => {
              throw new RpcHandlerError('bad thing', 'ValueError');
            },
            portnotfound: () => {
              throw new RpcHandlerError('port p1 not found', 'PortNotFound', 'neutron_lib.exceptions');
            },
          },
        },
      ],
    });
    await server.start();
  });

  after(async () => {
    await peer?.stop();
    await server?.stop();
    await conn?.close();
    const raw = await RawBroker.open();
    await raw.deleteAll([...server.queues, ...(peer?.queues() ?? [])], [exchange, `${topic}_fanout`]);
    await raw.close();
  });

  test('call, call to host, context, cast, fanout, NoSuchMethod, exceptions as Python sees them', async () => {
    peer = new PyPeer({
      url: BROKER_URL,
      exchange,
      topic,
      ops: [
        { op: 'call', method: 'echo', args: { a: 1, l: [1, 2] } },
        { op: 'call', method: 'whoami', server: 'nhost' },
        { op: 'call', method: 'ctx' },
        { op: 'cast', method: 'note', args: { n: 1 } },
        { op: 'fanout', method: 'note', args: { n: 2 } },
        { op: 'call', method: 'nope' },
        { op: 'call', method: 'pyvalue' },
        { op: 'call', method: 'portnotfound' },
        { op: 'call', method: 'echo', version: '1.4' },
        { op: 'call', method: 'echo', version: '1.2', args: { v: true } },
      ],
    });
    await peer.done();
    const r = peer.results();
    assert.equal(r.length, 10, peer.stderr.slice(-2000));
    assert.deepEqual(r[0]!['result'], { host: 'nhost', args: { a: 1, l: [1, 2] } });
    assert.equal(r[1]!['result'], 'nhost');
    const ctx = r[2]!['result'] as Record<string, unknown>;
    assert.equal(ctx['request_id'], 'req-python-peer');
    assert.equal(ctx['tenant_id'], 'p1');
    assert.ok(r[3]!['ok'] && r[4]!['ok']);
    assert.equal(r[5]!['exc_class'], 'RemoteError');
    assert.equal(r[5]!['exc_type'], 'NoSuchMethod');
    assert.equal(r[5]!['value'], 'Endpoint does not support RPC method nope');
    // builtins.ValueError is rebuilt as a real ValueError by the Python client.
    assert.equal(r[6]!['exc_class'], 'ValueError');
    assert.equal(r[6]!['exc_module'], 'builtins');
    assert.match(String(r[6]!['str']), /^bad thing\n/);
    // Modules outside allowed_remote_exmods arrive as RemoteError(class, message).
    assert.equal(r[7]!['exc_class'], 'RemoteError');
    assert.equal(r[7]!['exc_type'], 'PortNotFound');
    assert.equal(r[7]!['value'], 'port p1 not found');
    assert.equal(r[8]!['exc_type'], 'UnsupportedVersion');
    assert.equal(r[8]!['value'], 'Endpoint does not support RPC version 1.4. Attempted method: echo');
    assert.deepEqual(r[9]!['result'], { host: 'nhost', args: { v: true } });
    await eventually(() => got.some((g) => g.args['n'] === 1) && got.some((g) => g.args['n'] === 2), 'casts received');
    const cast = got.find((g) => g.args['n'] === 1)!;
    assert.equal(cast.ctx['request_id'], 'req-python-peer');
  });
});

describe('nucleon client → Python oslo.messaging server', () => {
  const prefix = runPrefix();
  const exchange = `${prefix}-ex`;
  const topic = `${prefix}-topic`;
  const cap = captureLogger();
  let conn: OsloConnection;
  let peer: PyPeer;
  let client: OsloRpcClient;

  before(async () => {
    peer = new PyPeer({ url: BROKER_URL, exchange, topic, server: 'pyhost' });
    const ready = await peer.ready();
    assert.equal(ready.event, 'ready', JSON.stringify(ready));
    conn = new OsloConnection({ transportUrl: BROKER_URL, controlExchange: exchange, logger: cap.logger });
    conn.start();
    await conn.waitConnected(10_000);
    client = new OsloRpcClient(conn, { topic, version: '1.0', timeoutMs: 10_000, logger: cap.logger });
  });

  after(async () => {
    const replyQ = conn ? replyWaiterFor(conn).queueName : '';
    await peer?.stop();
    await conn?.close();
    const raw = await RawBroker.open();
    await raw.deleteAll([topic, `${topic}.pyhost`, replyQ, ...(peer?.queues() ?? [])], [exchange, `${topic}_fanout`]);
    await raw.close();
  });

  test('call and call to host', async () => {
    assert.deepEqual(await client.call('echo', { a: 1, s: 'é✓' }), { host: 'pyhost', args: { a: 1, s: 'é✓' } });
    assert.equal(await client.call('whoami', {}, { server: 'pyhost' }), 'pyhost');
  });

  test('the Python server rebuilds our context', async () => {
    const ctx = await client.call<Record<string, unknown>>('ctx', {}, { context: { request_id: 'req-from-nucleon' } });
    assert.equal(ctx['request_id'], 'req-from-nucleon');
    for (const k of CONTEXT_KEYS) assert.ok(k in ctx, `context key ${k}`);
  });

  test('cast and fanout cast reach the Python server', async () => {
    await client.cast('note', { n: 1 });
    await client.cast('note', { n: 2 }, { fanout: true });
    await client.cast('note', { n: 3 }, { server: 'pyhost' });
    for (const n of [1, 2, 3]) {
      const e = await peer.waitEvent((e) => e.event === 'cast' && (e['args'] as Record<string, unknown>)['n'] === n, `cast ${n}`);
      assert.ok((e['ctxt_keys'] as string[]).includes('request_id'));
    }
  });

  test('a Python exception arrives as RemoteError with class, module and message', async () => {
    await assert.rejects(client.call('boom', {}), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.remoteClass, 'ValueError');
      assert.equal(e.remoteModule, 'builtins');
      assert.equal(e.remoteMessage, 'bad thing');
      assert.ok(e.remoteTraceback.some((l) => l.includes('raise ValueError')));
      assert.deepEqual(e.remoteArgs, ['bad thing']);
      return true;
    });
    await assert.rejects(client.call('nope', {}), (e: unknown) => e instanceof RemoteError && e.remoteClass === 'NoSuchMethod' && e.remoteModule === 'oslo_messaging.rpc.dispatcher');
    await assert.rejects(client.call('echo', {}, { version: '2.0' }), (e: unknown) => e instanceof RemoteError && e.remoteClass === 'UnsupportedVersion');
  });

  test('a slow Python handler gives RpcTimeoutError; the late reply is dropped quietly', async () => {
    await assert.rejects(client.call('sleep', { seconds: 2 }, { timeoutMs: 700 }), (e: unknown) => e instanceof RpcTimeoutError && e.method === 'sleep' && e.timeoutMs === 700);
    await eventually(() => cap.find('reply for a call nobody waits for (timed out?)').length > 0, 'late reply logged', 5000);
    assert.equal(await client.call('whoami', {}), 'pyhost');
  });
});
