/**
 * Broker outage during a stream of calls, simulated with a TCP proxy in front of
 * the shared RabbitMQ that the test cuts and restores (no other developer's
 * connections are touched): client and server recover by themselves, calls in
 * flight fail with a clear error, later calls succeed, onReconnect fires, and the
 * fanout queue and reply queue keep their names.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  OsloConnection,
  OsloRpcServer,
  OsloRpcClient,
  RpcConnectionLostError,
  RpcTimeoutError,
} from '../../../shared/rpc/index.js';
import { replyWaiterFor } from '../../../shared/rpc/reply-waiter.js';
import { RawBroker, captureLogger, eventually, runPrefix, sleep } from './helpers.js';

/** 127.0.0.1:<random> → 127.0.0.1:5672; cut() drops every connection and refuses new ones until restore(). */
class CuttableProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private open = true;
  port = 0;

  constructor(private readonly target = { host: '127.0.0.1', port: 5672 }) {
    this.server = net.createServer((client) => {
      if (!this.open) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const kill = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', kill).on('close', kill);
      upstream.on('error', kill).on('close', kill);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('reconnect after a broker outage (TCP proxy cut)', () => {
  const prefix = runPrefix();
  const exchange = `${prefix}-ex`;
  const topic = `${prefix}-topic`;
  const cap = captureLogger();
  const proxy = new CuttableProxy();
  let serverConn: OsloConnection;
  let clientConn: OsloConnection;
  let server: OsloRpcServer;
  let client: OsloRpcClient;
  const fanoutSeen: number[] = [];
  let reconnects = { server: 0, client: 0 };

  before(async () => {
    await proxy.listen();
    const url = `rabbit://guest:guest@127.0.0.1:${proxy.port}/`;
    serverConn = new OsloConnection({ transportUrl: url, controlExchange: exchange, logger: cap.logger.child({ side: 'server' }) });
    clientConn = new OsloConnection({ transportUrl: url, controlExchange: exchange, logger: cap.logger.child({ side: 'client' }) });
    serverConn.onReconnect(() => reconnects.server++);
    clientConn.onReconnect(() => reconnects.client++);
    serverConn.start();
    clientConn.start();
    await serverConn.waitConnected(10_000);
    await clientConn.waitConnected(10_000);
    server = new OsloRpcServer(serverConn, {
      topic,
      server: 'host1',
      logger: cap.logger,
      endpoints: [
        {
          version: '1.0',
          methods: {
            echo: (_c, a) => a['i'],
            slow: async (_c, a) => {
              await sleep(Number(a['ms']));
              return 'late';
            },
            fan: (_c, a) => {
              fanoutSeen.push(Number(a['n']));
            },
          },
        },
      ],
    });
    await server.start();
    client = new OsloRpcClient(clientConn, { topic, timeoutMs: 15_000, logger: cap.logger });
  });

  after(async () => {
    const replyQ = replyWaiterFor(clientConn).queueName;
    await server?.stop();
    await serverConn?.close();
    await clientConn?.close();
    await proxy.close();
    const raw = await RawBroker.open();
    await raw.deleteAll([...server.queues, replyQ], [exchange, `${topic}_fanout`]);
    await raw.close();
  });

  test('calls in flight fail clearly, both sides come back, later calls succeed', async () => {
    assert.equal(await client.call('echo', { i: 0 }), 0);
    const fanoutQueue = server.fanoutQueue;
    const replyQ = replyWaiterFor(clientConn).queueName;

    // A stream of calls running across the outage.
    let stop = false;
    const outcomes: Array<'ok' | 'lost' | 'timeout' | 'other'> = [];
    const stream = (async () => {
      for (let i = 1; !stop; i++) {
        try {
          assert.equal(await client.call('echo', { i }, { timeoutMs: 8000 }), i);
          outcomes.push('ok');
        } catch (err) {
          outcomes.push(err instanceof RpcConnectionLostError ? 'lost' : err instanceof RpcTimeoutError ? 'timeout' : 'other');
        }
        await sleep(20);
      }
    })();

    await eventually(() => outcomes.length >= 5, 'some calls before the outage');
    const inFlight = client.call('slow', { ms: 1500 });
    await sleep(200);
    const cutAt = Date.now();
    proxy.cut();
    await assert.rejects(inFlight, (e: unknown) => {
      assert.ok(e instanceof RpcConnectionLostError, `got ${String(e)}`);
      assert.match(e.message, /Connection to the broker lost while waiting for a reply to slow/);
      return true;
    });
    assert.ok(Date.now() - cutAt < 5000, 'failed on the drop, not after the 15 s timeout');
    assert.equal(clientConn.connected, false);

    // A call started during the outage waits for the connection and succeeds after it.
    const duringOutage = client.call('echo', { i: -1 });
    await sleep(1500);
    proxy.restore();
    assert.equal(await duringOutage, -1);

    await eventually(() => reconnects.client === 1 && reconnects.server === 1, 'onReconnect on both sides', 15_000);
    await eventually(() => serverConn.connected && clientConn.connected, 'connected again');
    const okBefore = outcomes.filter((o) => o === 'ok').length;
    await eventually(() => outcomes.filter((o) => o === 'ok').length >= okBefore + 5, 'calls succeed after reconnect', 15_000);
    stop = true;
    await stream;
    assert.ok(!outcomes.includes('other'), JSON.stringify(outcomes));

    // Same names as before the outage: consumers were re-declared, not renamed.
    assert.equal(server.fanoutQueue, fanoutQueue);
    assert.equal(replyWaiterFor(clientConn).queueName, replyQ);
    await client.cast('fan', { n: 7 }, { fanout: true });
    await eventually(() => fanoutSeen.includes(7), 'fanout after reconnect');

    assert.ok(cap.find('AMQP connection lost, reconnecting').length >= 2);
    assert.ok(cap.find('AMQP connected').some((l) => l['reconnect'] === true));
  });
});
