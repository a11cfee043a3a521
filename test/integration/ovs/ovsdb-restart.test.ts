/**
 * OvsdbMonitor across a real ovsdb-server restart: the server (a lone ovsdb-server
 * we own, in a throwaway namespace) is killed, the database is changed offline with
 * `ovsdb-tool transact` while it is down, and the server is started again on the
 * same file. The monitor keeps its last snapshot meanwhile, retries with backoff
 * (logging the outage once), and resyncs with exactly the offline changes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { OvsdbMonitor, type OvsdbChangeEvent } from '../../../shared/drivers/ovs/ovsdb-monitor.js';
import { capturingLogger, LEVEL } from '../../unit/drivers/ovsdb-fake-peer.js';
import { OvsNetns } from './netns.js';
import { LoneOvsdbServer, waitFor } from './ovsdb-helpers.js';

const nets = new OvsNetns();
const servers: LoneOvsdbServer[] = [];
const monitors: OvsdbMonitor[] = [];

after(async () => {
  for (const m of monitors) await m.stop();
  for (const s of servers) await s.stop();
  await nets.cleanup();
});

test('ovsdb-server killed, db changed offline, restarted: one resync with exactly the offline changes', async (t) => {
  const ns = await nets.add('rs');
  const srv = new LoneOvsdbServer(ns);
  servers.push(srv);
  await srv.create();
  const A = `${nets.prefix}a`;
  const B = `${nets.prefix}b`;
  await srv.vsctl(['add-br', A, '--', 'add-br', B, '--', 'add-port', A, 'tapx', '--', 'set', 'Interface', 'tapx', 'external_ids:iface-id=X']);

  const { logger, lines } = capturingLogger();
  const m = new OvsdbMonitor({ connection: srv.dbUrl, logger, reconnectDelayMs: 100, maxReconnectDelayMs: 400, requestTimeoutMs: 5000 });
  monitors.push(m);
  const events: string[] = [];
  const changes: OvsdbChangeEvent[] = [];
  m.on('connected', () => events.push('connected'));
  m.on('disconnected', (d) => events.push(`disconnected ${d.error.name}`));
  m.on('change', (c) => { changes.push(c); events.push(c.resync ? 'change resync' : 'change'); });
  await m.start();
  const bUuid = m.bridgeByName(B)?.uuid;
  assert.ok(bUuid);
  assert.equal(m.interfacesByIfaceId('X')[0]?.name, 'tapx');

  await srv.kill();
  await waitFor(() => events.includes('disconnected OvsdbConnectionError'), 5000, 'disconnected');
  const down = performance.now();
  // Offline: A gets an external_id, B leaves Open_vSwitch.bridges (its Port and
  // Interface rows are garbage-collected with it), tapx's iface-id changes.
  await execa('ovsdb-tool', ['transact', srv.dbPath, JSON.stringify(['Open_vSwitch',
    { op: 'update', table: 'Bridge', where: [['name', '==', A]], row: { external_ids: ['map', [['offline', 'yes']]] } },
    { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'delete', ['set', [['uuid', bUuid]]]]] },
    { op: 'update', table: 'Interface', where: [['name', '==', 'tapx']], row: { external_ids: ['map', [['iface-id', 'Y']]] } },
  ])]);
  // Let a few reconnect attempts fail (100, 200, 400, 400 ms).
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(m.connected, false);
  assert.equal(m.bridgeByName(B)?.uuid, bUuid, 'the last known rows are kept while the server is down');
  await srv.start();
  await waitFor(() => m.connected, 5000, 'reconnected');
  t.diagnostic(`server down → resynced: ${Math.round(performance.now() - down)} ms`);

  assert.deepEqual(events, ['connected', 'change resync', 'disconnected OvsdbConnectionError', 'connected', 'change resync']);
  const r = changes.at(-1);
  assert.ok(r?.resync);
  assert.deepEqual(r.bridges.changed.map((b) => [b.name, b.external_ids['offline']]), [[A, 'yes']]);
  assert.deepEqual(r.bridges.removed.map((b) => b.name), [B]);
  assert.deepEqual(r.ports.removed.map((p) => p.name), [B]);
  assert.deepEqual(r.interfaces.removed.map((i) => i.name), [B]);
  assert.deepEqual(r.interfaces.changed.map((i) => [i.name, i.external_ids['iface-id']]), [['tapx', 'Y']]);
  assert.deepEqual([r.bridges.added, r.ports.added, r.interfaces.added, r.ports.changed].map((x) => x.length), [0, 0, 0, 0]);
  assert.deepEqual(m.interfacesByIfaceId('X'), []);
  assert.equal(m.interfacesByIfaceId('Y')[0]?.name, 'tapx');

  // One line per state transition; the failed retries in between at debug only.
  const loud = lines.filter((l) => l.level >= LEVEL.info).map((l) => `${l.level} ${l.msg}`);
  assert.deepEqual(loud, [
    `${LEVEL.info} ovsdb monitor connected`,
    `${LEVEL.warn} ovsdb connection lost; reconnecting`,
    `${LEVEL.warn} ovsdb reconnect failed; retrying with backoff`,
    `${LEVEL.info} ovsdb monitor reconnected`,
  ]);
  assert.ok(lines.filter((l) => l.level === LEVEL.debug && l.msg === 'ovsdb attempt failed').length >= 1);
  await m.stop();
});
