/**
 * RemoteResourceCache against a fake q-plugin (in-memory objects answering bulk_pull
 * as the server filters) and push consumers fed by the test: the start-up flood and
 * its closure, pushes (order, deletes, scope, new ports pulling what they need),
 * refresh after objects vanished, pull on a miss, retries, reconnects, stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteResourceCache } from '../../../shared/resource-cache/remote-cache.js';
import type { ResourceChange } from '../../../shared/resource-cache/store.js';
import { ResourceCacheError, ResourceCacheStoppedError } from '../../../shared/resource-cache/errors.js';
import { pushTopic } from '../../../shared/resource-cache/push-endpoint.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { FakeConnection, FakePushBus, FakeQPlugin, HOST, NET, SG, SG2, SUBNET, addressGroupPrim, networkPrim, portPrim, rulePrim, sgPrim, subnetPrim, uuid } from './fixtures.js';

const NET2 = '99999999-9999-4999-8999-999999999999';

interface World {
  server: FakeQPlugin;
  bus: FakePushBus;
  conn: FakeConnection;
  cache: RemoteResourceCache;
  events: ResourceChange[];
  ids: { mine: string; member: string; stranger: string; rule: string; remoteRule: string; ag: string };
}

/** One port here in SG (whose rule names SG2 as remote group and an address group), one member of SG2 elsewhere, one unrelated port. */
function world(): World {
  const server = new FakeQPlugin();
  const ids = { mine: uuid(), member: uuid(), stranger: uuid(), rule: uuid(), remoteRule: uuid(), ag: uuid() };
  server.put('Network', networkPrim());
  server.put('Network', networkPrim({ id: NET2 }));
  server.put('Subnet', subnetPrim());
  server.put('SecurityGroup', sgPrim({}, []));
  server.put('SecurityGroup', sgPrim({ id: SG2 }, []));
  server.put('SecurityGroupRule', rulePrim(ids.rule, { remote_group_id: SG2 }));
  server.put('SecurityGroupRule', rulePrim(ids.remoteRule, { remote_address_group_id: ids.ag }));
  server.put('AddressGroup', addressGroupPrim(ids.ag, ['192.0.2.0/24']));
  server.put('Port', portPrim({ id: ids.mine, sgs: [SG] }));
  server.put('Port', portPrim({ id: ids.member, host: 'other', ip: '10.0.0.9', sgs: [SG2] }));
  server.put('Port', portPrim({ id: ids.stranger, host: 'other', ip: '10.0.0.10', sgs: [] }));
  const bus = new FakePushBus();
  const conn = new FakeConnection();
  const cache = new RemoteResourceCache({ connection: conn, client: server, host: HOST, logger: silentLogger(), makePushServer: bus.factory, retry: { initialMs: 5, maxMs: 20 } });
  const events: ResourceChange[] = [];
  cache.on('changed', (c) => events.push(c));
  return { server, bus, conn, cache, events, ids };
}

const filterOf = (c: { args: Record<string, unknown> }): string => `${String(c.args['resource_type'])} ${JSON.stringify(c.args['filter_kwargs'])}`;

test('start: consumers first, then the host\'s ports and everything they need, nothing else', async () => {
  const w = world();
  let startedAtFirstCall = -1;
  w.server.onCall = () => {
    if (startedAtFirstCall < 0) startedAtFirstCall = w.bus.started;
  };
  await w.cache.start();
  assert.equal(startedAtFirstCall, 6, 'all six push consumers run before the first pull');
  assert.deepEqual([...w.bus.endpoints.keys()].sort(), [
    'neutron-vo-AddressGroup-1.2',
    'neutron-vo-Network-1.1',
    'neutron-vo-Port-1.7',
    'neutron-vo-SecurityGroup-1.5',
    'neutron-vo-SecurityGroupRule-1.2',
    'neutron-vo-Subnet-1.1',
  ]);
  const [list] = w.server.callsOf('get_ports_by_vnic_type_and_host');
  assert.deepEqual(list?.args, { vnic_type: 'normal', host: HOST });
  assert.equal(w.server.calls.find((c) => c.method === 'get_ports_by_vnic_type_and_host')?.version, '1.7');
  const pulls = w.server.callsOf('bulk_pull');
  assert.ok(w.server.calls.filter((c) => c.method === 'bulk_pull').every((c) => c.version === '1.1'));
  assert.ok(pulls.every((c) => typeof c.args['version'] === 'string'));
  assert.deepEqual(pulls.map(filterOf).sort(), [
    `AddressGroup {"id":["${w.ids.ag}"]}`,
    `Network {"id":["${NET}"]}`,
    `Port {"id":["${w.ids.mine}"]}`,
    `Port {"security_group_ids":["${SG2}"]}`,
    `SecurityGroup {"id":["${SG}"]}`,
    `SecurityGroupRule {"security_group_id":["${SG}"]}`,
    `Subnet {"network_id":["${NET}"]}`,
  ].sort());
  assert.equal(w.cache.getPort(w.ids.mine)?.id, w.ids.mine);
  assert.equal(w.cache.getPort(w.ids.member)?.id, w.ids.member);
  assert.equal(w.cache.getPort(w.ids.stranger), undefined);
  assert.equal(w.cache.getNetwork(NET)?.mtu, 1450);
  assert.equal(w.cache.getNetwork(NET2), undefined);
  assert.deepEqual(w.cache.subnetsOfNetwork(NET).map((s) => s.id), [SUBNET]);
  assert.deepEqual(w.cache.rulesOfGroup(SG).map((r) => r.id).sort(), [w.ids.rule, w.ids.remoteRule].sort());
  assert.deepEqual(w.cache.portsInSecurityGroup(SG2).map((p) => p.id), [w.ids.member]);
  assert.deepEqual(w.cache.portsOnHost(HOST).map((p) => p.id), [w.ids.mine]);
  assert.equal(w.cache.getAddressGroup(w.ids.ag)?.addresses[0], '192.0.2.0/24');
  assert.deepEqual(w.events.map((e) => `${e.event} ${e.resourceType} ${e.id}`).sort(), [
    `created AddressGroup ${w.ids.ag}`,
    `created Network ${NET}`,
    `created Port ${w.ids.member}`,
    `created Port ${w.ids.mine}`,
    `created SecurityGroup ${SG}`,
    `created SecurityGroupRule ${w.ids.remoteRule}`,
    `created SecurityGroupRule ${w.ids.rule}`,
    `created Subnet ${SUBNET}`,
  ].sort());
  await w.cache.stop();
  assert.equal(w.bus.stopped, 6);
});

test('pushes: newer revisions apply, older ones and objects outside the scope are ignored', async () => {
  const w = world();
  await w.cache.start();
  w.events.length = 0;
  const port = pushTopic('Port');
  await w.bus.push(port, [portPrim({ id: w.ids.mine, sgs: [SG], ip: '10.0.0.77', rev: 3 })], 'updated');
  await w.bus.push(port, [portPrim({ id: w.ids.mine, sgs: [SG], ip: '10.0.0.66', rev: 2 })], 'updated');
  assert.equal(w.cache.getPort(w.ids.mine)?.fixedIps[0]?.ipAddress, '10.0.0.77');
  await w.bus.push(port, [portPrim({ id: w.ids.stranger, host: 'other', sgs: [], rev: 9 })], 'updated');
  assert.equal(w.cache.getPort(w.ids.stranger), undefined);
  // A new member of a remote group we follow is taken.
  const newMember = uuid();
  await w.bus.push(port, [portPrim({ id: newMember, host: 'other', sgs: [SG2] })], 'created');
  assert.deepEqual(w.cache.portsInSecurityGroup(SG2).map((p) => p.id).sort(), [w.ids.member, newMember].sort());
  assert.deepEqual(w.events.map((e) => [e.event, e.id]), [
    ['updated', w.ids.mine],
    ['created', newMember],
  ]);
  await w.cache.stop();
});

test('a deleted push removes the object for good; deleting a group removes its rules', async () => {
  const w = world();
  await w.cache.start();
  w.events.length = 0;
  await w.bus.push(pushTopic('Port'), [portPrim({ id: w.ids.member, host: 'other', sgs: [SG2] })].map((p) => ({ ...p, 'versioned_object.data': { id: w.ids.member, security_group_ids: null } })), 'deleted');
  assert.equal(w.cache.getPort(w.ids.member), undefined);
  assert.equal(w.events[0]?.event, 'deleted');
  assert.equal(w.events[0]?.previous?.id, w.ids.member);
  // The update that was overtaken by the delete arrives late: ignored.
  await w.bus.push(pushTopic('Port'), [portPrim({ id: w.ids.member, host: 'other', sgs: [SG2], rev: 50 })], 'updated');
  assert.equal(w.cache.getPort(w.ids.member), undefined);
  assert.equal(w.cache.wasDeleted('Port', w.ids.member), true);
  w.events.length = 0;
  await w.bus.push(pushTopic('SecurityGroup'), [sgPrim({ id: SG }, [])].map((p) => ({ ...p, 'versioned_object.data': { id: SG } })), 'deleted');
  assert.deepEqual(w.events.map((e) => `${e.event} ${e.resourceType}`).sort(), ['deleted SecurityGroup', 'deleted SecurityGroupRule', 'deleted SecurityGroupRule']);
  await w.cache.stop();
});

test('a group pushed with its rules records the rules; a new rule naming a new remote group pulls its members', async () => {
  const w = world();
  await w.cache.start();
  const r = uuid();
  const third = '66666666-6666-4666-8666-666666666666';
  const thirdMember = uuid();
  w.server.put('Port', portPrim({ id: thirdMember, host: 'other', ip: '10.0.0.33', sgs: [third] }));
  await w.bus.push(pushTopic('SecurityGroup'), [sgPrim({ revision_number: 2 }, [rulePrim(r, { remote_group_id: third })])], 'updated');
  assert.ok(w.cache.rulesOfGroup(SG).some((x) => x.id === r));
  // No await on our side: the push's background closure asks for the members.
  for (let i = 0; i < 100 && !w.cache.hasMembersOf(third); i++) await sleep(2);
  assert.ok(w.server.callsOf('bulk_pull').some((c) => filterOf(c) === `Port {"security_group_ids":["${third}"]}`));
  assert.deepEqual(w.cache.portsInSecurityGroup(third).map((p) => p.id), [thirdMember]);
  await w.cache.stop();
});

test('a port newly bound here arrives by push and pulls its network and groups in the background', async () => {
  const w = world();
  await w.cache.start();
  const fresh = uuid();
  const p = portPrim({ id: fresh, sgs: [SG2] });
  (p['versioned_object.data'] as Record<string, unknown>)['network_id'] = NET2;
  w.server.put('Port', p);
  await w.bus.push(pushTopic('Port'), [p], 'updated');
  assert.equal(w.cache.getPort(fresh)?.networkId, NET2);
  // No await on our side: the background closure fetches what the port needs.
  for (let i = 0; i < 100 && (!w.cache.getNetwork(NET2) || !w.cache.hasRulesOf(SG2)); i++) await sleep(2);
  assert.equal(w.cache.getNetwork(NET2)?.id, NET2);
  assert.equal(w.cache.getSecurityGroup(SG2)?.id, SG2);
  assert.equal(w.cache.hasRulesOf(SG2), true);
  await w.cache.stop();
});

test('refresh: what the server lost is deleted (with events), what changed is updated, a port gone elsewhere is kept', async () => {
  const w = world();
  await w.cache.start();
  // Meanwhile, with the pushes lost: the member port and a rule are deleted, our port
  // changes, and the network is renamed.
  w.server.delete('Port', w.ids.member);
  w.server.delete('SecurityGroupRule', w.ids.remoteRule);
  w.server.put('Port', portPrim({ id: w.ids.mine, sgs: [SG], ip: '10.0.0.99', rev: 4 }));
  w.server.put('Network', networkPrim({ name: 'renamed', revision_number: 2 }));
  // A port that was bound here moved to another host: not in the host list any more.
  const moved = uuid();
  w.server.put('Port', portPrim({ id: moved, sgs: [SG] }));
  await w.cache.pullPort(moved);
  w.server.put('Port', portPrim({ id: moved, host: 'other', sgs: [SG], rev: 2 }));
  w.events.length = 0;
  await w.cache.refresh();
  const seen = w.events.map((e) => `${e.event} ${e.resourceType} ${e.id}`).sort();
  assert.deepEqual(seen, [
    `deleted Port ${w.ids.member}`,
    `deleted SecurityGroupRule ${w.ids.remoteRule}`,
    `updated Network ${NET}`,
    `updated Port ${moved}`,
    `updated Port ${w.ids.mine}`,
  ].sort());
  assert.equal(w.cache.getPort(w.ids.mine)?.fixedIps[0]?.ipAddress, '10.0.0.99');
  assert.equal(w.cache.getPort(moved)?.bindings[0]?.host, 'other');
  // A second refresh with nothing changed is silent.
  w.events.length = 0;
  await w.cache.refresh();
  assert.deepEqual(w.events, []);
  await w.cache.stop();
});

test('a reconnect triggers a refresh', async () => {
  const w = world();
  await w.cache.start();
  w.server.delete('Port', w.ids.member);
  w.conn.reconnect();
  for (let i = 0; i < 200 && w.cache.getPort(w.ids.member); i++) await sleep(2);
  assert.equal(w.cache.getPort(w.ids.member), undefined);
  await w.cache.stop();
});

test('pullPort: pulls a miss with what it needs, asks once, never for a deleted or malformed id', async () => {
  const w = world();
  await w.cache.start();
  const remote = uuid();
  const p = portPrim({ id: remote, host: 'other', sgs: [SG] });
  (p['versioned_object.data'] as Record<string, unknown>)['network_id'] = NET2;
  w.server.put('Port', p);
  const before = w.server.calls.length;
  const got = await w.cache.pullPort(remote.toUpperCase());
  assert.equal(got?.id, remote);
  assert.equal(w.cache.getNetwork(NET2)?.id, NET2, 'its network came with it');
  const asked = w.server.calls.slice(before).map(filterOf);
  assert.deepEqual(asked.sort(), [`Network {"id":["${NET2}"]}`, `Port {"id":["${remote}"]}`, `Subnet {"network_id":["${NET2}"]}`].sort());
  const n = w.server.calls.length;
  assert.equal((await w.cache.pullPort(remote))?.id, remote);
  assert.equal(await w.cache.pullPort(uuid()), undefined);
  assert.equal(w.server.calls.length, n + 1, 'a known port costs nothing, an unknown one one call');
  await w.bus.push(pushTopic('Port'), [{ ...p, 'versioned_object.data': { id: remote } }], 'deleted');
  assert.equal(await w.cache.pullPort(remote), undefined);
  assert.equal(w.server.calls.length, n + 1);
  await assert.rejects(w.cache.pullPort('tap1234'), (e: unknown) => e instanceof ResourceCacheError && e.code === 'BAD_ID');
  const many = await w.cache.pullPorts([w.ids.mine, w.ids.stranger]);
  assert.deepEqual(many.map((x) => x?.id), [w.ids.mine, w.ids.stranger]);
  await w.cache.stop();
});

test('a delete pushed while the flood\'s answer is on the wire is not undone by that answer', async () => {
  const w = world();
  let pushed = false;
  w.server.onCall = async (method, args) => {
    const f = args['filter_kwargs'] as Record<string, unknown> | undefined;
    if (!pushed && method === 'bulk_pull' && args['resource_type'] === 'Port' && f && 'security_group_ids' in f) {
      pushed = true;
      await w.bus.push(pushTopic('Port'), [{ ...portPrim({ id: w.ids.member }), 'versioned_object.data': { id: w.ids.member } }], 'deleted');
    }
  };
  await w.cache.start();
  assert.equal(pushed, true);
  assert.equal(w.cache.getPort(w.ids.member), undefined);
  await w.cache.stop();
});

test('failed pulls are retried until the snapshot is complete', async () => {
  const w = world();
  w.server.failNext = 3;
  await w.cache.start();
  assert.equal(w.cache.getNetwork(NET)?.id, NET);
  assert.ok(w.server.calls.length >= 10);
  await w.cache.stop();
});

test('malformed pushes cost a log line, never the good objects beside them', async () => {
  const w = world();
  await w.cache.start();
  const good = uuid();
  const port = pushTopic('Port');
  await w.bus.push(port, [portPrim({ id: uuid(), mac: 'nope' }), 'garbage', portPrim({ id: good, sgs: [SG2] })], 'updated');
  assert.equal(w.cache.getPort(good)?.id, good);
  const ep = w.bus.endpoints.get(port)!;
  assert.equal(await ep.methods['push']!({}, { resource_list: 'x', event_type: 'updated' }), null);
  assert.equal(await ep.methods['push']!({}, { resource_list: [], event_type: 'exploded' }), null);
  // A Network object on the Port topic is refused by name.
  await w.bus.push(port, [networkPrim({ id: uuid() })], 'updated');
  await w.cache.stop();
});

test('stop: consumers stopped, later calls refused, a start waiting on a dead server gives up', async () => {
  const w = world();
  await w.cache.start();
  await w.cache.stop();
  assert.equal(w.bus.stopped, 6);
  await assert.rejects(w.cache.refresh(), ResourceCacheStoppedError);
  await assert.rejects(w.cache.pullPort(w.ids.mine), ResourceCacheStoppedError);

  const w2 = world();
  w2.server.failNext = 1_000_000;
  const starting = w2.cache.start();
  await sleep(30);
  await w2.cache.stop();
  await assert.rejects(starting, ResourceCacheStoppedError);
});

test('a throwing listener does not stop the push from being applied', async () => {
  const w = world();
  await w.cache.start();
  w.cache.on('changed', () => {
    throw new Error('listener bug');
  });
  const a = uuid();
  const b = uuid();
  await w.bus.push(pushTopic('Port'), [portPrim({ id: a, sgs: [SG2] }), portPrim({ id: b, sgs: [SG2] })], 'updated');
  assert.ok(w.cache.getPort(a) && w.cache.getPort(b));
  await w.cache.stop();
});
