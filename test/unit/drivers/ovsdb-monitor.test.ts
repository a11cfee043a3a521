/**
 * OvsdbMonitor against an in-memory ovsdb-server and a fake clock: start, change
 * events per update message, updates racing the monitor reply, reconnect with
 * backoff and a resync diff, protocol errors, cancelled monitors, stop, logging
 * once per state transition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, settle } from '../../../shared/reconcile/clock.js';
import { OvsdbConfigError, OvsdbConnectionError } from '../../../shared/drivers/ovs/ovsdb-errors.js';
import { OvsdbMonitor, type OvsdbChangeEvent, type OvsdbDisconnectedEvent } from '../../../shared/drivers/ovs/ovsdb-monitor.js';
import { bridgeCols, capturingLogger, FakeOvsdbServer, ifaceCols, LEVEL, map, portCols, uuid, type LogLine } from './ovsdb-fake-peer.js';

interface Setup {
  server: FakeOvsdbServer;
  clock: FakeClock;
  monitor: OvsdbMonitor;
  events: string[];
  changes: OvsdbChangeEvent[];
  lines: LogLine[];
}

function setup(opts: { reconnectDelayMs?: number; maxReconnectDelayMs?: number; startTimeoutMs?: number } = {}): Setup {
  const server = new FakeOvsdbServer();
  server.rows = {
    Bridge: { [uuid(1)]: bridgeCols('br-int', [2]) },
    Port: { [uuid(2)]: portCols('br-int', [3]) },
    Interface: { [uuid(3)]: ifaceCols('br-int', { type: 'internal', ofport: 65534 }) },
  };
  const clock = new FakeClock(0);
  const { logger, lines } = capturingLogger();
  const monitor = new OvsdbMonitor({
    connection: 'unix:/fake/db.sock',
    logger,
    clock,
    // Through the server object, so a test can swap its connector later.
    connect: (c, o) => server.connector(c, o),
    probeIntervalMs: 0,
    reconnectDelayMs: opts.reconnectDelayMs ?? 100,
    ...(opts.maxReconnectDelayMs !== undefined ? { maxReconnectDelayMs: opts.maxReconnectDelayMs } : {}),
    ...(opts.startTimeoutMs !== undefined ? { startTimeoutMs: opts.startTimeoutMs } : {}),
  });
  const events: string[] = [];
  const changes: OvsdbChangeEvent[] = [];
  monitor.on('connected', () => events.push('connected'));
  monitor.on('disconnected', (d: OvsdbDisconnectedEvent) => events.push(`disconnected ${d.error.name}`));
  monitor.on('change', (c) => { changes.push(c); events.push(`change${c.resync ? ' resync' : ''}`); });
  return { server, clock, monitor, events, changes, lines };
}

const names = (rows: Array<{ name: string }>): string[] => rows.map((r) => r.name).sort();

/** The message ovs-vsctl add-port tap1 -- set Interface tap1 external_ids:iface-id=X commits. */
function addTap(s: FakeOvsdbServer): void {
  s.update({
    Bridge: { [uuid(1)]: bridgeCols('br-int', [2, 12]) },
    Port: { [uuid(12)]: portCols('tap1', [13]) },
    Interface: { [uuid(13)]: ifaceCols('tap1', { external_ids: map({ 'iface-id': 'X' }) }) },
  });
}

test('start() resolves after the initial snapshot: connected, then one resync change with everything added', async () => {
  const { monitor, events, changes, lines, server } = setup();
  await monitor.start();
  assert.deepEqual(events, ['connected', 'change resync']);
  assert.deepEqual(names(changes[0]?.interfaces.added ?? []), ['br-int']);
  assert.deepEqual(names(changes[0]?.bridges.added ?? []), ['br-int']);
  assert.equal(monitor.connected, true);
  assert.equal(monitor.snapshot().bridges.get(uuid(1))?.name, 'br-int');
  assert.equal(monitor.interfaceByName('br-int')?.ofport, 65534);
  // The monitor request: the Open_vSwitch db, the three tables, the columns we decode.
  const req = server.peer?.requests('monitor')[0]?.['params'] as unknown[];
  assert.equal(req[0], 'Open_vSwitch');
  assert.deepEqual(Object.keys(req[2] as object).sort(), ['Bridge', 'Interface', 'Port']);
  assert.deepEqual(lines.filter((l) => l.level >= LEVEL.info).map((l) => l.msg), ['ovsdb monitor connected']);
  assert.equal(monitor.start(), monitor.start(), 'start() twice: the same promise');
  await monitor.stop();
});

test('each update message is one change event; the ofport arrives as a later "changed"', async () => {
  const { monitor, changes, server } = setup();
  await monitor.start();
  addTap(server);
  await settle();
  assert.equal(changes.length, 2);
  const add = changes[1];
  assert.equal(add?.resync, false);
  assert.deepEqual(names(add?.interfaces.added ?? []), ['tap1']);
  assert.equal(add?.interfaces.added[0]?.ofport, undefined);
  assert.deepEqual(names(add?.ports.added ?? []), ['tap1']);
  assert.deepEqual(names(add?.bridges.changed ?? []), ['br-int']);
  server.update({ Interface: { [uuid(13)]: ifaceCols('tap1', { external_ids: map({ 'iface-id': 'X' }), ofport: 5 }) } });
  await settle();
  assert.equal(changes[2]?.interfaces.changed[0]?.ofport, 5);
  assert.deepEqual(monitor.interfacesByIfaceId('X').map((i) => i.ofport), [5]);
  const tap = monitor.interfaceByName('tap1');
  assert.ok(tap);
  assert.equal(monitor.portOfInterface(tap)?.name, 'tap1');
  assert.equal(monitor.bridgeOfPort(uuid(12))?.name, 'br-int');
  assert.equal(monitor.portByName('tap1')?.uuid, uuid(12));
  assert.equal(monitor.bridgeByName('br-int')?.uuid, uuid(1));
  // An update without effect on decoded rows emits nothing.
  server.update({ Interface: { [uuid(13)]: ifaceCols('tap1', { external_ids: map({ 'iface-id': 'X' }), ofport: 5 }) } });
  await settle();
  assert.equal(changes.length, 3);
  await monitor.stop();
});

test('updates in the same chunk as the monitor reply are not lost: they are part of the resync', async () => {
  const { monitor, changes, server } = setup();
  server.afterReply = JSON.stringify({
    id: null, method: 'update',
    params: ['nucleon-ovs-1', { Interface: { [uuid(3)]: { new: ifaceCols('br-int', { type: 'internal', ofport: 65534, link_state: 'up' }) } } }],
  });
  await monitor.start();
  assert.equal(changes.length, 1);
  assert.equal(changes[0]?.interfaces.added[0]?.link_state, 'up');
  assert.equal(monitor.interfaceByName('br-int')?.link_state, 'up');
  await monitor.stop();
});

test('lost connection: disconnected, reconnect after the delay, one resync change with the full diff', async () => {
  const { monitor, events, changes, server, clock, lines } = setup({ reconnectDelayMs: 100 });
  await monitor.start();
  addTap(server);
  await settle();
  events.length = 0;
  const lost = server.peer;
  // While disconnected: tap1 deleted, tap2 added, br-int interface link up.
  server.update({
    Bridge: { [uuid(1)]: bridgeCols('br-int', [2, 22]) },
    Port: { [uuid(12)]: undefined, [uuid(22)]: portCols('tap2', [23]) },
    Interface: { [uuid(13)]: undefined, [uuid(23)]: ifaceCols('tap2', { ofport: 9 }), [uuid(3)]: ifaceCols('br-int', { type: 'internal', ofport: 65534, link_state: 'up' }) },
  }, false);
  lost?.end();
  await settle();
  assert.deepEqual(events, ['disconnected OvsdbConnectionError']);
  assert.equal(monitor.connected, false);
  assert.equal(monitor.interfaceByName('tap1')?.name, 'tap1', 'the last known rows stay while disconnected');
  await clock.advance(99);
  assert.equal(server.connects, 1, 'no reconnect before the delay');
  await clock.advance(1);
  assert.equal(server.connects, 2);
  assert.deepEqual(events, ['disconnected OvsdbConnectionError', 'connected', 'change resync']);
  const resync = changes.at(-1);
  assert.deepEqual(names(resync?.interfaces.added ?? []), ['tap2']);
  assert.deepEqual(names(resync?.interfaces.removed ?? []), ['tap1']);
  assert.deepEqual(names(resync?.interfaces.changed ?? []), ['br-int']);
  assert.deepEqual(names(resync?.ports.added ?? []), ['tap2']);
  assert.deepEqual(names(resync?.ports.removed ?? []), ['tap1']);
  assert.deepEqual(names(resync?.bridges.changed ?? []), ['br-int']);
  assert.equal(monitor.interfaceByName('tap1'), undefined);
  const msgs = lines.filter((l) => l.level >= LEVEL.info).map((l) => l.msg);
  assert.deepEqual(msgs, ['ovsdb monitor connected', 'ovsdb connection lost; reconnecting', 'ovsdb monitor reconnected']);
  // Updates on the old connection after the switch are ignored; the new one works.
  server.update({ Interface: { [uuid(23)]: ifaceCols('tap2', { ofport: 10 }) } });
  await settle();
  assert.equal(monitor.interfaceByName('tap2')?.ofport, 10);
  await monitor.stop();
});

test('a reconnect without changes still emits one (empty) resync change', async () => {
  const { monitor, changes, server, clock } = setup();
  await monitor.start();
  server.peer?.end();
  await settle();
  await clock.advance(100);
  const last = changes.at(-1);
  assert.equal(last?.resync, true);
  assert.deepEqual([last?.interfaces, last?.ports, last?.bridges].map((t) => (t?.added.length ?? 0) + (t?.changed.length ?? 0) + (t?.removed.length ?? 0)), [0, 0, 0]);
  await monitor.stop();
});

test('failed attempts back off exponentially up to the ceiling and log once, not per retry', async () => {
  const { monitor, server, clock, lines, events } = setup({ reconnectDelayMs: 100, maxReconnectDelayMs: 400 });
  const real = server.connector;
  const attemptsAt: number[] = [];
  let failing = true;
  server.connector = async (c, o) => {
    attemptsAt.push(clock.now());
    if (failing) throw new OvsdbConnectionError(c, 'connect failed: ENOENT');
    return real(c, o);
  };
  const started = monitor.start();
  await clock.advance(1500);
  assert.deepEqual(attemptsAt, [0, 100, 300, 700, 1100, 1500]);
  failing = false;
  await clock.advance(400);
  await started;
  assert.deepEqual(events, ['connected', 'change resync']);
  const warns = lines.filter((l) => l.level === LEVEL.warn);
  assert.equal(warns.length, 1, 'one warning for the whole outage');
  assert.equal(warns[0]?.msg, 'cannot monitor ovsdb yet; retrying with backoff');
  assert.match(warns[0]?.err?.message ?? '', /ENOENT/);
  assert.ok(lines.filter((l) => l.level === LEVEL.debug && l.msg === 'ovsdb attempt failed').length >= 5);
  await monitor.stop();
});

test('malformed data from the server: error logged, connection re-established with a resync', async () => {
  const { monitor, server, clock, lines, events } = setup();
  await monitor.start();
  server.peer?.sendRaw('{"id":null,"method":"update","params":["nucleon-ovs-1",{"Interface":}]}');
  await settle();
  assert.deepEqual(events.slice(-1), ['disconnected OvsdbProtocolError']);
  const err = lines.find((l) => l.level === LEVEL.error);
  assert.equal(err?.msg, 'ovsdb-server sent malformed data; connection dropped, reconnecting');
  assert.match(err?.err?.message ?? '', /invalid JSON message/);
  await clock.advance(100);
  assert.deepEqual(events.slice(-2), ['connected', 'change resync']);
  assert.equal(monitor.connected, true);
  await monitor.stop();
});

test('a monitor the server cancels is re-established on a new connection', async () => {
  const { monitor, server, clock, events } = setup();
  await monitor.start();
  const first = server.peer;
  first?.send({ id: null, method: 'monitor_canceled', params: ['nucleon-ovs-1'] });
  await settle();
  assert.deepEqual(events.slice(-1), ['disconnected OvsdbConnectionError']);
  assert.ok(first?.stream.destroyed, 'the old connection is closed');
  await clock.advance(100);
  assert.deepEqual(events.slice(-2), ['connected', 'change resync']);
  const req = server.peer?.requests('monitor')[0]?.['params'] as unknown[];
  assert.equal(req[1], 'nucleon-ovs-2', 'a fresh monitor id per connection');
  await monitor.stop();
});

test('a monitor request the server rejects (e.g. unknown database) is retried with backoff', async () => {
  const { monitor, server, clock, lines } = setup();
  server.monitorError = { error: 'unknown database', details: 'no Open_vSwitch' };
  const started = monitor.start();
  await clock.advance(350);
  assert.equal(server.connects, 3);
  assert.match(lines.find((l) => l.level === LEVEL.warn)?.err?.message ?? '', /unknown database/);
  server.monitorError = undefined;
  await clock.advance(400);
  await started;
  await monitor.stop();
});

test('stop(): no event follows, no timer is left, start() rejects when nothing arrived yet', async () => {
  const { monitor, server, clock, events } = setup();
  server.answerMonitor = false;
  const started = monitor.start();
  await settle();
  await monitor.stop();
  await assert.rejects(started, (e: unknown) => e instanceof OvsdbConnectionError && /stopped before the first snapshot/.test(e.message));
  assert.equal(clock.pending, 0);
  assert.deepEqual(events, []);
  await monitor.stop();

  const b = setup();
  await b.monitor.start();
  b.server.peer?.end();
  await settle();
  await b.monitor.stop();
  assert.equal(b.clock.pending, 0, 'the pending reconnect is cancelled');
  await b.clock.advance(10_000);
  assert.equal(b.server.connects, 1);
  assert.deepEqual(b.events, ['connected', 'change resync', 'disconnected OvsdbConnectionError']);
});

test('startTimeoutMs: start() rejects with the last error and the monitor stops', async () => {
  const { monitor, server, clock } = setup({ startTimeoutMs: 1000 });
  server.connector = async (c) => { throw new OvsdbConnectionError(c, 'connect failed: ECONNREFUSED'); };
  const started = monitor.start();
  started.catch(() => undefined);
  await clock.advance(1000);
  await assert.rejects(started, (e: unknown) => e instanceof OvsdbConnectionError && /no snapshot within 1000 ms: .*ECONNREFUSED/.test(e.message));
  assert.equal(clock.pending, 0);
});

test('a bad connection string fails in the constructor; a throwing listener does not stop the monitor', async () => {
  assert.throws(() => new OvsdbMonitor({ connection: 'punix:/x', logger: capturingLogger().logger }), OvsdbConfigError);
  const { monitor, server, changes, lines } = setup();
  monitor.prependListener('change', () => { throw new Error('consumer bug'); });
  await monitor.start();
  addTap(server);
  await settle();
  assert.equal(changes.length, 2, 'the other listener still got both');
  assert.ok(lines.some((l) => l.level === LEVEL.error && l.msg === 'ovsdb monitor listener threw'));
  await monitor.stop();
});

test('a listener that calls stop() ends the events there', async () => {
  const { monitor, events } = setup();
  monitor.prependListener('connected', () => { void monitor.stop(); });
  await assert.rejects(monitor.start(), /stopped before the first snapshot/);
  assert.deepEqual(events, [], 'neither the other connected listener nor change ran');
});
