/**
 * OvsdbMonitor against real Open vSwitch 3.1: a private ovsdb-server + ovs-vswitchd
 * (test/harness/ovs.ts) inside a throwaway namespace. Initial snapshot, add-port with
 * iface-id (and which event carries the ofport), del-port, the server dropping every
 * client (ovsdb-server/reconnect) with a change made during the outage, and a
 * malformed frame injected by a unix-socket proxy we control.
 *
 * Observed with OVS 3.1 (and asserted below): `ovs-vsctl add-port` commits Port +
 * Interface + Bridge.ports in one transaction, so one 'change' adds the Port and
 * the Interface with ofport undefined; ovs-vswitchd assigns the OpenFlow port in
 * its own transaction, which arrives as a later 'change' with the Interface in
 * `changed` (ofport set, mac_in_use/admin_state/link_state filled in). Only when the
 * client falls behind does ovsdb-server merge both into one update (then `added`
 * already has the ofport); the test accepts both and says which it saw.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { OvsdbMonitor, type OvsdbChangeEvent } from '../../../shared/drivers/ovs/ovsdb-monitor.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { capturingLogger, LEVEL, type LogLine } from '../../unit/drivers/ovsdb-fake-peer.js';
import { OvsNetns } from './netns.js';
import { UnixProxy, waitFor } from './ovsdb-helpers.js';

const nets = new OvsNetns();
let ns = '';
let ovs: OvsInstance | undefined;
const monitors: OvsdbMonitor[] = [];
const proxies: UnixProxy[] = [];
const BR = `${nets.prefix}br`;

before(async () => {
  ns = await nets.add('mon');
  ovs = await startOvs({ name: 'ovsdbmon', netns: ns });
  await ovs.vsctl(['add-br', BR, '--', 'set', 'Bridge', BR, 'datapath_type=netdev', 'fail_mode=secure']);
});

after(async () => {
  for (const m of monitors) await m.stop();
  for (const p of proxies) await p.close();
  await ovs?.stop();
  await nets.cleanup();
});

function inst(): OvsInstance {
  if (!ovs) throw new Error('OVS did not start');
  return ovs;
}

/** A monitor with a capturing logger and every event recorded in order. */
function watch(connection: string, reconnectDelayMs = 200): { m: OvsdbMonitor; events: string[]; changes: OvsdbChangeEvent[]; lines: LogLine[] } {
  const { logger, lines } = capturingLogger();
  const m = new OvsdbMonitor({ connection, logger, reconnectDelayMs, requestTimeoutMs: 5000 });
  monitors.push(m);
  const events: string[] = [];
  const changes: OvsdbChangeEvent[] = [];
  m.on('connected', () => events.push('connected'));
  m.on('disconnected', (d) => events.push(`disconnected ${d.error.name}`));
  m.on('change', (c) => { changes.push(c); events.push(c.resync ? 'change resync' : 'change'); });
  return { m, events, changes, lines };
}

/** A veth pair inside the test namespace; `dev` is the end to plug into OVS. */
async function veth(suffix: string): Promise<string> {
  const dev = `${nets.prefix}v${suffix}`;
  await nets.ip(ns, ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${nets.prefix}p${suffix}`]);
  await nets.ip(ns, ['link', 'set', dev, 'up']);
  return dev;
}

test('the initial snapshot lists the bridge, its local port and interface, linked by uuid', async () => {
  const { m, events, changes } = watch(inst().dbUrl);
  await m.start();
  assert.deepEqual(events, ['connected', 'change resync']);
  const br = m.bridgeByName(BR);
  assert.ok(br, 'bridge in snapshot');
  assert.equal(br.datapath_type, 'netdev');
  assert.equal(br.fail_mode, 'secure');
  const iface = m.interfaceByName(BR);
  assert.ok(iface);
  assert.equal(iface.type, 'internal');
  assert.equal(iface.ofport, 65534, 'the bridge-local port');
  const port = m.portOfInterface(iface);
  assert.equal(port?.name, BR);
  assert.equal(port && m.bridgeOfPort(port)?.uuid, br.uuid);
  assert.ok(changes[0]?.bridges.added.some((b) => b.name === BR));
  assert.equal(m.snapshot().bridges.get(br.uuid)?.name, BR);
  await m.stop();
});

test('add-port with iface-id: the interface is added, its ofport follows (usually as a later change); del-port: removed', async (t) => {
  const { m, changes } = watch(inst().dbUrl);
  await m.start();
  const dev = await veth('1');
  const t0 = performance.now();
  await inst().vsctl(['add-port', BR, dev, 'tag=5', '--', 'set', 'Interface', dev, 'external_ids:iface-id=port-X', 'external_ids:attached-mac=fa:16:3e:00:00:01']);
  await waitFor(() => m.interfacesByIfaceId('port-X')[0]?.ofport !== undefined, 5000, 'ofport of port-X');
  t.diagnostic(`add-port → ofport seen: ${Math.round(performance.now() - t0)} ms after ovs-vsctl started`);

  const added = changes.find((c) => c.interfaces.added.some((i) => i.name === dev));
  assert.ok(added, 'one change adds the interface');
  assert.equal(added.resync, false);
  assert.deepEqual(added.ports.added.map((p) => p.name), [dev], 'the port comes in the same change');
  assert.equal(added.ports.added[0]?.tag, 5);
  assert.ok(added.bridges.changed.some((b) => b.name === BR), 'and the bridge whose ports changed');
  const addedIface = added.interfaces.added.find((i) => i.name === dev);
  assert.deepEqual(addedIface?.external_ids, { 'iface-id': 'port-X', 'attached-mac': 'fa:16:3e:00:00:01' });
  if (addedIface?.ofport === undefined) {
    // The usual case: vswitchd assigns the ofport in its own, later transaction.
    const withOfport = changes.find((c) => c.interfaces.changed.some((i) => i.name === dev && i.ofport !== undefined));
    assert.ok(withOfport, 'a later change carries the ofport');
    assert.ok(changes.indexOf(withOfport) > changes.indexOf(added));
    t.diagnostic('ofport arrived in a later "changed" event');
  } else {
    // ovsdb-server merges a monitor's pending changes when the client falls behind.
    t.diagnostic('ofport already in the "added" event (server merged both transactions)');
  }
  const iface = m.interfaceByName(dev);
  assert.ok(iface && iface.ofport !== undefined && iface.ofport > 0 && iface.ofport < 65534);
  assert.equal(iface.error, undefined);
  assert.match(iface.mac_in_use ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.equal(m.portOfInterface(iface)?.name, dev);
  assert.equal(m.bridgeOfPort(m.portByName(dev) ?? '')?.name, BR);
  // The ofport agrees with OpenFlow's view.
  assert.match(await inst().ofctl(['show', BR]), new RegExp(`\\b${iface.ofport}\\(${dev}\\)`));

  const before = changes.length;
  await inst().vsctl(['del-port', BR, dev]);
  await waitFor(() => changes.slice(before).some((c) => c.interfaces.removed.some((i) => i.name === dev)), 5000, 'removal');
  const removed = changes.slice(before).find((c) => c.interfaces.removed.some((i) => i.name === dev));
  assert.deepEqual(removed?.ports.removed.map((p) => p.name), [dev]);
  assert.equal(removed?.interfaces.removed[0]?.external_ids['iface-id'], 'port-X', 'the last known row');
  assert.ok(removed?.bridges.changed.some((b) => b.name === BR && !b.ports.includes(iface.uuid)));
  assert.equal(m.interfaceByName(dev), undefined);
  assert.deepEqual(m.interfacesByIfaceId('port-X'), []);
  await m.stop();
});

test('ovsdb-server drops its clients: disconnected, reconnected, one resync with what changed meanwhile', async () => {
  const o = inst();
  const { m, events, changes, lines } = watch(o.dbUrl, 2000);
  await m.start();
  const ctl = `${o.runDir}/ovsdb-server.${o.ovsdbServer.pid}.ctl`;
  await execa('ovs-appctl', ['-t', ctl, 'ovsdb-server/reconnect'], { env: o.env });
  await waitFor(() => events.includes('disconnected OvsdbConnectionError'), 5000, 'disconnected');
  assert.equal(m.connected, false);
  // Made while we are away (the retry waits 2 s): only the resync can tell us.
  await o.vsctl(['--no-wait', 'set', 'Bridge', BR, 'external_ids:while-away=yes']);
  await waitFor(() => m.connected, 5000, 'reconnected');
  assert.deepEqual(events, ['connected', 'change resync', 'disconnected OvsdbConnectionError', 'connected', 'change resync']);
  const resync = changes.at(-1);
  assert.equal(resync?.resync, true);
  assert.deepEqual(resync?.bridges.changed.map((b) => [b.name, b.external_ids['while-away']]), [[BR, 'yes']]);
  assert.deepEqual([resync?.interfaces.added.length, resync?.interfaces.removed.length, resync?.ports.added.length], [0, 0, 0]);
  const info = lines.filter((l) => l.level >= LEVEL.info).map((l) => l.msg);
  assert.deepEqual(info, ['ovsdb monitor connected', 'ovsdb connection lost; reconnecting', 'ovsdb monitor reconnected']);
  // Still live after the reconnect.
  await o.vsctl(['--no-wait', 'remove', 'Bridge', BR, 'external_ids', 'while-away']);
  await waitFor(() => m.bridgeByName(BR)?.external_ids['while-away'] === undefined, 5000, 'update after reconnect');
  await m.stop();
});

test('a malformed frame: error logged once, connection dropped and re-established with a resync', async () => {
  const o = inst();
  const proxy = await UnixProxy.start(o.dbSock);
  proxies.push(proxy);
  const { m, events, lines } = watch(`unix:${proxy.path}`, 100);
  await m.start();
  assert.equal(proxy.accepted, 1);
  proxy.injectToClients('{"id":null,"method":"update","params":[}]}');
  await waitFor(() => events.filter((e) => e === 'change resync').length === 2, 5000, 'resync after the protocol error');
  assert.deepEqual(events, ['connected', 'change resync', 'disconnected OvsdbProtocolError', 'connected', 'change resync']);
  assert.equal(proxy.accepted, 2);
  const errors = lines.filter((l) => l.level >= LEVEL.error);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.msg, 'ovsdb-server sent malformed data; connection dropped, reconnecting');
  assert.match(errors[0]?.err?.message ?? '', /invalid JSON message/);
  assert.equal(m.bridgeByName(BR)?.name, BR);
  await m.stop();
});
