/** InstanceLookup with a stateful port table: router and network paths, counts, cache and skip-cache, merged bursts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InstanceLookup } from '../../../agents/metadata/lookup.js';
import { NoCache, ResilientCache } from '../../../agents/metadata/cache/resilient.js';
import { MemoryStore } from '../../../agents/metadata/cache/store.js';
import { ROUTER_INTERFACE_OWNERS } from '../../../agents/metadata/plugin-api.js';
import { captureLogs, PortTable, type TablePort } from './fakes.js';

const NET_A = '11111111-1111-4111-8111-111111111111';
const NET_B = '22222222-2222-4222-8222-222222222222';
const ROUTER = '33333333-3333-4333-8333-333333333333';
const p = (device_id: string, network_id: string, ip: string, device_owner = 'compute:nova', mac = 'fa:16:3e:00:00:01'): TablePort =>
  ({ device_id, network_id, tenant_id: 'proj', device_owner, ips: [ip], mac });
const v4 = (ip: string) => ({ ip, mac: null });

function setup(ports: TablePort[], cached = true) {
  const table = new PortTable(ports);
  const cache = cached ? new ResilientCache(new MemoryStore(), 60_000, captureLogs().logger) : new NoCache();
  return { table, cache, lookup: new InstanceLookup(table, cache) };
}

const world = [
  p('vm-a', NET_A, '10.0.0.5'), p('vm-b', NET_B, '10.1.0.7'),
  p(ROUTER, NET_A, '10.0.0.1', 'network:router_interface'), p(ROUTER, NET_B, '10.1.0.1', 'network:router_interface_distributed'),
  p('dup-1', NET_B, '10.1.0.9'), p('dup-2', NET_B, '10.1.0.9'),
];

test('network path: one get_ports with fixed_ips and network_id, exactly one match wins', async () => {
  const { table, lookup } = setup(world);
  assert.deepEqual(await lookup.find({ kind: 'network', networkId: NET_A }, v4('10.0.0.5')), { instanceId: 'vm-a', tenantId: 'proj' });
  assert.deepEqual(table.calls, [{ fixed_ips: { ip_address: ['10.0.0.5'] }, network_id: [NET_A] }]);
});

test('router path: interface ports by Neutron\'s owner list, then the address on all their networks', async () => {
  const { table, lookup } = setup(world);
  assert.deepEqual(await lookup.find({ kind: 'router', routerId: ROUTER }, v4('10.1.0.7')), { instanceId: 'vm-b', tenantId: 'proj' });
  assert.deepEqual(table.calls, [
    { device_id: [ROUTER], device_owner: [...ROUTER_INTERFACE_OWNERS] },
    { fixed_ips: { ip_address: ['10.1.0.7'] }, network_id: [NET_A, NET_B] },
  ]);
});

test('no match, several matches, another network\'s address: null', async () => {
  const { lookup } = setup(world);
  assert.equal(await lookup.find({ kind: 'network', networkId: NET_A }, v4('10.9.9.9')), null);
  assert.equal(await lookup.find({ kind: 'network', networkId: NET_B }, v4('10.1.0.9')), null);
  assert.equal(await lookup.find({ kind: 'network', networkId: NET_A }, v4('10.1.0.7')), null, 'vm-b lives on NET_B');
});

test('a router without interfaces: no second RPC, no match', async () => {
  const { table, lookup } = setup(world);
  assert.equal(await lookup.find({ kind: 'router', routerId: '44444444-4444-4444-8444-444444444444' }, v4('10.0.0.5')), null);
  assert.equal(table.calls.length, 1);
});

test('link-local IPv6 clients are searched by MAC', async () => {
  const { table, lookup } = setup([p('vm6', NET_A, '2001:db8::9', 'compute:nova', 'fa:16:3e:12:34:56')]);
  assert.equal((await lookup.find({ kind: 'network', networkId: NET_A }, { ip: 'fe80::f816:3eff:fe12:3456', mac: 'fa:16:3e:12:34:56' }))?.instanceId, 'vm6');
  assert.deepEqual(table.calls[0], { mac_address: ['fa:16:3e:12:34:56'], network_id: [NET_A] });
});

test('cached: the second lookup asks nobody; skipCache asks again and refreshes the entry', async () => {
  const ports = [...world];
  const { table, lookup, cache } = setup(ports);
  const target = { kind: 'router', routerId: ROUTER } as const;
  await lookup.find(target, v4('10.0.0.5'));
  await lookup.find(target, v4('10.0.0.5'));
  assert.equal(table.calls.length, 2);
  assert.equal(cache.counters.hits, 2);
  // The instance was replaced behind the same address.
  table.ports = table.ports.map((x) => (x.device_id === 'vm-a' ? { ...x, device_id: 'vm-a2' } : x));
  assert.equal((await lookup.find(target, v4('10.0.0.5')))?.instanceId, 'vm-a', 'stale until asked past the cache');
  assert.equal((await lookup.find(target, v4('10.0.0.5'), true))?.instanceId, 'vm-a2');
  assert.equal((await lookup.find(target, v4('10.0.0.5')))?.instanceId, 'vm-a2', 'the refresh was stored');
});

test('a burst of identical lookups shares one RPC, with or without a cache', async () => {
  for (const cached of [true, false]) {
    const { table, lookup } = setup(world, cached);
    table.delayMs = 20;
    const rs = await Promise.all(Array.from({ length: 50 }, () => lookup.find({ kind: 'network', networkId: NET_A }, v4('10.0.0.5'))));
    assert.ok(rs.every((r) => r?.instanceId === 'vm-a'));
    assert.equal(table.calls.length, 1, `cached=${cached}`);
  }
});

test('a cache entry that does not decode is a miss, never a partial list', async () => {
  const store = new MemoryStore();
  const table = new PortTable(world);
  const lookup = new InstanceLookup(table, new ResilientCache(store, 60_000, captureLogs().logger), 'k:');
  await store.set(`k:p:10.1.0.9||${NET_B}`, JSON.stringify([{ d: 'dup-1', t: 'proj' }, { d: 42 }]), 0);
  assert.equal(await lookup.find({ kind: 'network', networkId: NET_B }, v4('10.1.0.9')), null, 'two matches from the server');
  assert.equal(table.calls.length, 1);
});
