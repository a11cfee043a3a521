/**
 * OvsdbClient over an in-memory peer: request/response by id, the server's echo,
 * typed RPC and transaction errors, timeouts, notifications in stream order,
 * malformed and oversized frames, peer close, the echo probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, settle } from '../../../shared/reconcile/clock.js';
import {
  OvsdbConnectionError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
} from '../../../shared/drivers/ovs/ovsdb-errors.js';
import type { JsonValue, OvsdbTableUpdates } from '../../../shared/drivers/ovs/ovsdb-client.js';
import { FakePeer, capturingLogger, clientOn, LEVEL } from './ovsdb-fake-peer.js';

test('requests carry increasing ids; replies are matched by id, in any order', async () => {
  const peer = new FakePeer();
  const c = clientOn(peer);
  const a = c.request('list_dbs', []);
  const b = c.echo(['x']);
  await settle();
  const [ra, rb] = peer.received;
  assert.deepEqual(ra, { method: 'list_dbs', params: [], id: 1 });
  assert.deepEqual(rb, { method: 'echo', params: ['x'], id: 2 });
  peer.send({ id: 2, result: ['x'], error: null }, { id: 1, result: ['Open_vSwitch'], error: null });
  assert.deepEqual(await b, ['x']);
  assert.deepEqual(await a, ['Open_vSwitch']);
  c.close();
});

test("the server's echo request is answered with its id and params", async () => {
  const peer = new FakePeer();
  const c = clientOn(peer);
  peer.send({ method: 'echo', params: [], id: 'echo' });
  await settle();
  assert.deepEqual(peer.received, [{ id: 'echo', result: [], error: null }]);
  peer.send({ method: 'lock', params: ['x'], id: 5 });
  await settle();
  assert.deepEqual(peer.received[1], { id: 5, result: null, error: 'unknown method' }, 'unknown server requests get an error reply');
  c.close();
});

test('an error reply rejects with OvsdbRpcError carrying method, error code and details', async () => {
  const peer = new FakePeer();
  const c = clientOn(peer);
  const p = c.request('get_schema', ['nodb']);
  await settle();
  peer.send({ id: 1, result: null, error: { error: 'unknown database', details: 'get_schema request specifies unknown database nodb' } });
  await assert.rejects(p, (e: unknown) => e instanceof OvsdbRpcError && e.method === 'get_schema' && e.error === 'unknown database'
    && e.details === 'get_schema request specifies unknown database nodb' && e.kind === 'FATAL' && /ovsdb get_schema: unknown database: get_schema/.test(e.message));
  const q = c.request('x', []);
  await settle();
  peer.send({ id: 2, result: null, error: 'unknown method' });
  await assert.rejects(q, (e: unknown) => e instanceof OvsdbRpcError && e.error === 'unknown method' && e.details === undefined);
  c.close();
});

test('transact: results on success; OvsdbTransactionError at the failing operation or the commit', async () => {
  const peer = new FakePeer();
  const c = clientOn(peer);
  const ops = [{ op: 'select', table: 'Bridge', where: [] }, { op: 'comment', comment: 'x' }];
  const ok = c.transact('Open_vSwitch', ops);
  await settle();
  assert.deepEqual(peer.received[0], { method: 'transact', params: ['Open_vSwitch', ...ops], id: 1 });
  peer.send({ id: 1, result: [{ rows: [] }, {}], error: null });
  assert.deepEqual(await ok, [{ rows: [] }, {}]);

  const failed = c.transact('Open_vSwitch', ops);
  await settle();
  peer.send({ id: 2, result: [{}, { error: 'constraint violation', details: 'bad tag' }], error: null });
  await assert.rejects(failed, (e: unknown) => e instanceof OvsdbTransactionError && e instanceof OvsdbRpcError && e.opIndex === 1
    && e.error === 'constraint violation' && e.details === 'bad tag' && /operation 1: constraint violation: bad tag/.test(e.message) && e.results.length === 2);

  const commit = c.transact('Open_vSwitch', ops);
  await settle();
  peer.send({ id: 3, result: [{}, {}, { error: 'referential integrity violation' }], error: null });
  await assert.rejects(commit, (e: unknown) => e instanceof OvsdbTransactionError && e.opIndex === 2);
  c.close();
});

test('a request times out with OvsdbTimeoutError; the late reply is ignored and the connection still works', async () => {
  const clock = new FakeClock(0);
  const peer = new FakePeer();
  const c = clientOn(peer, { clock, requestTimeoutMs: 1000 });
  const p = c.request('echo', [], { timeoutMs: 50 });
  // It rejects inside clock.advance(), before assert.rejects is attached.
  p.catch(() => undefined);
  const slow = c.request('list_dbs', []);
  await clock.advance(60);
  await assert.rejects(p, (e: unknown) => e instanceof OvsdbTimeoutError && e.method === 'echo' && e.timeoutMs === 50 && e.kind === 'TRANSIENT');
  peer.send({ id: 1, result: [], error: null }, { id: 2, result: ['Open_vSwitch'], error: null });
  assert.deepEqual(await slow, ['Open_vSwitch']);
  await clock.advance(2000);
  assert.equal(clock.pending, 0, 'no timer left once nothing is pending');
  assert.equal(c.isClosed, false);
  c.close();
});

test('update notifications are emitted in stream order, also when they share a chunk with a reply', async () => {
  const peer = new FakePeer();
  const c = clientOn(peer);
  const seen: string[] = [];
  c.on('update', (id: JsonValue, u: OvsdbTableUpdates) => seen.push(`update ${String(id)} ${Object.keys(u).join(',')}`));
  c.on('monitor-canceled', (id) => seen.push(`canceled ${String(id)}`));
  const mon = c.monitor('Open_vSwitch', 'm', { Interface: { columns: ['name'] } }).then((r) => { seen.push(`reply ${Object.keys(r).join(',')}`); });
  await settle();
  assert.deepEqual(peer.received[0], { method: 'monitor', params: ['Open_vSwitch', 'm', { Interface: { columns: ['name'] } }], id: 1 });
  peer.sendRaw(
    JSON.stringify({ id: 1, result: { Interface: {} }, error: null })
    + JSON.stringify({ id: null, method: 'update', params: ['m', { Interface: { u1: { new: { name: 'a' } } } }] })
    + JSON.stringify({ method: 'update', params: ['m', { Port: {} }], id: null })
    + JSON.stringify({ method: 'monitor_canceled', params: ['m'], id: null })
    + JSON.stringify({ method: 'locked', params: ['l'], id: null }),
  );
  await mon;
  // The notifications in the reply's chunk are emitted before the reply's awaiting code runs.
  assert.deepEqual(seen, ['update m Interface', 'update m Port', 'canceled m', 'reply Interface']);
  c.close();
});

test('a throwing listener is logged and does not stop the rest of the chunk', async () => {
  const { logger, lines } = capturingLogger();
  const peer = new FakePeer();
  const c = clientOn(peer, { logger });
  let n = 0;
  c.on('update', () => { n++; if (n === 1) throw new Error('listener bug'); });
  peer.send({ id: null, method: 'update', params: ['m', {}] }, { id: null, method: 'update', params: ['m', {}] });
  await settle();
  assert.equal(n, 2);
  assert.ok(lines.some((l) => l.level === LEVEL.error && l.msg === 'ovsdb client listener threw'));
  c.close();
});

test('malformed bytes drop the connection with OvsdbProtocolError; pending requests reject with it', async () => {
  const peer = new FakePeer();
  const c = clientOn(peer);
  const closes: Array<OvsdbConnectionError | undefined> = [];
  c.on('close', (r) => closes.push(r));
  const p = c.request('list_dbs', []);
  peer.sendRaw('{"id":1,"result":["x"],}');
  await assert.rejects(p, (e: unknown) => e instanceof OvsdbProtocolError && e instanceof OvsdbConnectionError && /invalid JSON message/.test(e.message));
  assert.equal(closes.length, 1);
  assert.ok(closes[0] instanceof OvsdbProtocolError);
  assert.ok((await c.closed) instanceof OvsdbProtocolError);
  assert.ok(peer.stream.destroyed, 'the stream is destroyed');
  await assert.rejects(c.request('echo', []), (e: unknown) => e instanceof OvsdbConnectionError && /connection is closed/.test(e.message));
});

test('a message over maxMessageBytes drops the connection; a JSON-RPC object of no known shape too', async () => {
  const peer = new FakePeer();
  const c = clientOn(peer, { maxMessageBytes: 100 });
  peer.sendRaw(`{"id":null,"method":"update","params":["m",{"Interface":{"${'x'.repeat(200)}`);
  const r = await c.closed;
  assert.ok(r instanceof OvsdbProtocolError && /exceeds 100 bytes/.test(r.message), String(r));

  const peer2 = new FakePeer();
  const c2 = clientOn(peer2);
  peer2.send({ hello: 'world' });
  const r2 = await c2.closed;
  assert.ok(r2 instanceof OvsdbProtocolError && /neither a request/.test(r2.message));

  const peer3 = new FakePeer();
  const c3 = clientOn(peer3);
  peer3.send({ id: null, method: 'update', params: ['m', 'not-updates'] });
  assert.ok((await c3.closed) instanceof OvsdbProtocolError);
});

test('peer EOF: close event once with the reason, pending requests reject, no timer left', async () => {
  const clock = new FakeClock(0);
  const peer = new FakePeer();
  const c = clientOn(peer, { clock, probeIntervalMs: 1000 });
  const closes: Array<OvsdbConnectionError | undefined> = [];
  c.on('close', (r) => closes.push(r));
  const p = c.request('list_dbs', []);
  peer.end();
  await assert.rejects(p, (e: unknown) => e instanceof OvsdbConnectionError && !(e instanceof OvsdbProtocolError) && /closed by peer/.test(e.message) && e.connection === 'unix:/fake/db.sock');
  await settle();
  assert.equal(closes.length, 1);
  assert.equal(clock.pending, 0);
});

test('close() by us: close event with no reason, pending requests reject, idempotent', async () => {
  const peer = new FakePeer();
  const c = clientOn(peer);
  const closes: unknown[] = [];
  c.on('close', (r) => closes.push(r));
  const p = c.request('list_dbs', []);
  c.close();
  c.close();
  await assert.rejects(p, /closed by client/);
  assert.deepEqual(closes, [undefined]);
  assert.equal(await c.closed, undefined);
});

test('echo probe: sent only after a quiet interval; an unanswered probe drops the connection', async () => {
  const clock = new FakeClock(0);
  const peer = new FakePeer();
  const c = clientOn(peer, { clock, probeIntervalMs: 1000 });
  await clock.advance(500);
  peer.send({ id: null, method: 'update', params: ['m', {}] });
  await clock.advance(600);
  assert.equal(peer.requests('echo').length, 0, 'traffic 600 ms ago: no probe yet');
  await clock.advance(1000);
  assert.equal(peer.requests('echo').length, 1, 'quiet for a full interval: probed');
  const echo = peer.requests('echo')[0];
  peer.send({ id: echo?.['id'], result: [], error: null });
  await clock.advance(1000);
  assert.equal(c.isClosed, false, 'answered probe keeps the connection');
  const before = peer.requests('echo').length;
  await clock.advance(3000);
  assert.ok(peer.requests('echo').length > before);
  const r = await c.closed;
  assert.ok(r instanceof OvsdbConnectionError && /no reply to an echo probe within 1000 ms/.test(r.message), String(r));
  assert.equal(clock.pending, 0);
});
