/**
 * get_device_details from the cache: equal to what the real server answered for the
 * recorded ports (every key the server sends), accepted by the linuxbridge parser,
 * and the unknown / unbound / no-active-binding / migration cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceDetailsFromCache, fetchDeviceDetails, isDeviceDetails, SERVER_DETAIL_KEYS, type DeviceDetails } from '../../../shared/resource-cache/device-details.js';
import { CacheIncompleteError } from '../../../shared/resource-cache/errors.js';
import { decodeNetwork, decodePort, type PortRecord } from '../../../shared/resource-cache/ovo.js';
import { ResourceStore } from '../../../shared/resource-cache/store.js';
import { parseDeviceAnswer } from '../../../agents/linuxbridge/model.js';
import { HOST, NET, SEG, bindingPrim, haveSamples, networkPrim, portPrim, prim, sampleResult, segmentPrim, storeFromTrace, uuid, type PortOpts } from './fixtures.js';

const skip = !haveSamples() && 'wire samples not found';

function storeWith(ports: PortOpts[], opts: { network?: boolean; networkOver?: Record<string, unknown> } = {}): ResourceStore {
  const store = new ResourceStore({ host: HOST, vnicTypes: ['normal'] });
  if (opts.network !== false) {
    const n = decodeNetwork(networkPrim(opts.networkOver));
    if (!n.ok) throw new Error(n.reason);
    store.put('Network', n.value, { scoped: false });
  }
  for (const o of ports) {
    const p = decodePort(portPrim(o));
    if (!p.ok) throw new Error(p.reason);
    store.put('Port', p.value, { scoped: false });
  }
  return store;
}

function details(r: ReturnType<typeof deviceDetailsFromCache>): DeviceDetails {
  if (!isDeviceDetails(r)) assert.fail(`not details: ${JSON.stringify(r)}`);
  return r;
}

test('equal to the server\'s recorded get_devices_details_list answer for all 54 recorded ports', { skip }, () => {
  const store = storeFromTrace();
  const recorded = sampleResult('neutron__q-plugin__get_devices_details_list.json') as Array<Record<string, unknown>>;
  assert.equal(recorded.length, 54);
  for (const server of recorded) {
    const ours = details(deviceDetailsFromCache(store, String(server['device']), String(server['port_id']), 'vm'));
    for (const k of SERVER_DETAIL_KEYS) assert.deepEqual(ours[k], server[k], `${String(server['device'])} ${k}`);
    assert.deepEqual(Object.keys(server).sort(), [...SERVER_DETAIL_KEYS].sort(), 'the server sends exactly these keys');
    // The linuxbridge agent's parser reads ours as it reads the server's.
    assert.deepEqual(parseDeviceAnswer(ours), parseDeviceAnswer(server));
  }
});

test('details of a port bound here: segment of the bottom level, network mtu, binding profile and CacheBacked extras', () => {
  const id = uuid();
  const store = storeWith([{ id, ip: '10.0.0.7', mac: 'FA:16:3E:AA:BB:0C', pairs: [{ ip: '10.0.0.100', mac: 'fa:16:3e:00:00:99' }] }]);
  const d = details(deviceDetailsFromCache(store, id, id, HOST));
  assert.deepEqual(d, {
    device: id,
    network_id: NET,
    port_id: id,
    mac_address: 'fa:16:3e:aa:bb:0c',
    admin_state_up: true,
    network_type: 'vxlan',
    segmentation_id: 1001,
    physical_network: null,
    mtu: 1450,
    fixed_ips: [{ subnet_id: '33333333-3333-4333-8333-333333333333', ip_address: '10.0.0.7' }],
    device_owner: 'compute:nova',
    allowed_address_pairs: [{ ip_address: '10.0.0.100', mac_address: 'fa:16:3e:00:00:99' }],
    port_security_enabled: true,
    qos_policy_id: null,
    qos_network_policy_id: null,
    profile: {},
    propagate_uplink_status: false,
    device_id: 'vm-1',
    status: 'DOWN',
    vif_type: 'ovs',
    vnic_type: 'normal',
    security_groups: ['44444444-4444-4444-8444-444444444444'],
    migrating_to: null,
  });
  assert.equal(parseDeviceAnswer(d).kind, 'port');
});

test('unknown port, no binding levels, no ACTIVE binding: {device}', () => {
  const unbound = uuid();
  const inactiveOnly = uuid();
  const store = storeWith([
    { id: unbound, levels: false },
    { id: inactiveOnly, status: 'INACTIVE' },
  ]);
  assert.deepEqual(deviceDetailsFromCache(store, 'tapx', uuid(), HOST), { device: 'tapx' });
  assert.deepEqual(deviceDetailsFromCache(store, 'tapy', unbound, HOST), { device: 'tapy' });
  assert.deepEqual(deviceDetailsFromCache(store, 'tapz', inactiveOnly, HOST), { device: 'tapz' });
  assert.equal(parseDeviceAnswer({ device: 'tapx' }).kind, 'unknown');
});

test('a compute port active elsewhere: no_active_binding, unless an active profile says migrating_to', () => {
  const moving = uuid();
  const elsewhere = uuid();
  const dhcp = uuid();
  const store = storeWith([
    { id: elsewhere, host: 'other' },
    { id: dhcp, host: 'other', owner: 'network:dhcp' },
    {
      id: moving,
      host: 'other',
      bindings: [bindingPrim(moving, 'other', 'ACTIVE', { profile: '{"migrating_to": "node-a"}' }), bindingPrim(moving, HOST, 'INACTIVE')],
    },
  ]);
  const r = deviceDetailsFromCache(store, 'tap1', elsewhere, HOST);
  assert.deepEqual(r, { device: 'tap1', no_active_binding: true });
  assert.equal(parseDeviceAnswer(r).kind, 'no_active_binding');
  // Not a compute port: the check does not apply (as in the server).
  assert.equal(details(deviceDetailsFromCache(store, 'tap2', dhcp, HOST)).device_owner, 'network:dhcp');
  const m = details(deviceDetailsFromCache(store, 'tap3', moving, HOST));
  assert.equal(m.migrating_to, 'node-a');
  assert.deepEqual(m.profile, { migrating_to: 'node-a' });
});

test('levels are read for the ACTIVE binding\'s host only; a level without a segment object uses the network\'s', () => {
  const id = uuid();
  const otherSeg = '77777777-7777-4777-8777-777777777777';
  const p = portPrim({
    id,
    bindings: [bindingPrim(id, HOST, 'ACTIVE'), bindingPrim(id, 'target', 'INACTIVE')],
  });
  const data = p['versioned_object.data'] as Record<string, unknown>;
  data['binding_levels'] = [
    prim('PortBindingLevel', { port_id: id, host: HOST, level: 0, driver: 'openvswitch', segment_id: SEG }, '1.1'),
    prim('PortBindingLevel', { port_id: id, host: 'target', level: 0, driver: 'openvswitch', segment: segmentPrim({ id: otherSeg, segmentation_id: 2002 }), segment_id: otherSeg }, '1.1'),
  ];
  const store = storeWith([]);
  const dec = decodePort(p);
  assert.ok(dec.ok);
  if (!dec.ok) return;
  store.put('Port', dec.value, { scoped: false });
  assert.equal(details(deviceDetailsFromCache(store, id, id, HOST)).segmentation_id, 1001);
});

test('the network\'s only segment when a level names none; {device} when several could be meant', () => {
  const id = uuid();
  const mk = (segs: unknown[]): ResourceStore => {
    const store = storeWith([], { network: true, networkOver: { segments: segs } });
    const p = decodePort(portPrim({ id }));
    if (!p.ok) throw new Error(p.reason);
    const levelWithout: PortRecord = { ...p.value, bindingLevels: [{ host: HOST, level: 0, driver: 'openvswitch', segmentId: null }] };
    store.put('Port', levelWithout, { scoped: false });
    return store;
  };
  assert.equal(details(deviceDetailsFromCache(mk([segmentPrim()]), id, id, HOST)).segmentation_id, 1001);
  assert.deepEqual(deviceDetailsFromCache(mk([segmentPrim(), segmentPrim({ id: uuid(), segmentation_id: 5 })]), id, id, HOST), { device: id });
});

test('the port\'s network not cached: CacheIncompleteError naming it; fetchDeviceDetails pulls first', async () => {
  const id = uuid();
  const store = storeWith([{ id }], { network: false });
  assert.throws(() => deviceDetailsFromCache(store, id, id, HOST), (e: unknown) => e instanceof CacheIncompleteError && e.missing[0]?.id === NET);
  const pulled: string[] = [];
  /** A store whose pull "answers" the network, like RemoteResourceCache.pullPort would. */
  class PullingStore extends ResourceStore {
    async pullPort(pid: string): Promise<PortRecord | undefined> {
      pulled.push(pid);
      const n = decodeNetwork(networkPrim());
      if (n.ok) this.put('Network', n.value, { scoped: false });
      return this.getPort(pid);
    }
  }
  const reader = new PullingStore({ host: HOST, vnicTypes: ['normal'] });
  reader.put('Port', store.getPort(id)!, { scoped: false });
  const d = await fetchDeviceDetails(reader, 'tapq', id, HOST);
  assert.deepEqual(pulled, [id]);
  assert.equal(details(d).mtu, 1450);
});

test('fetchDeviceDetails: an iface-id that is no port id is an unknown device, nothing is pulled', async () => {
  class NeverPulls extends ResourceStore {
    async pullPort(): Promise<PortRecord | undefined> {
      throw new Error('must not pull');
    }
  }
  assert.deepEqual(await fetchDeviceDetails(new NeverPulls({ host: HOST, vnicTypes: ['normal'] }), 'tapx', 'not-a-port', HOST), { device: 'tapx' });
});
