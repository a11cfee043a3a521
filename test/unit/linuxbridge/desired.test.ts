import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDesiredL2, vlanSubinterfaceName, vxlanGroup, type DesiredL2 } from '../../../agents/linuxbridge/desired.js';
import { bridgeName } from '../../../agents/linuxbridge/model.js';
import { cfg, dev, NET_FLAT, NET_LOCAL, NET_PHYS2, NET_VLAN, NET_VX, NET_VX2, orders, portId, python, VXLAN_CFG } from './fixtures.js';

const plain = (d: DesiredL2) => ({ bridges: [...d.bridges.entries()], taps: [...d.taps.entries()], unwirable: [...d.unwirable.entries()] });

test('vxlan with l2population: brq bridge owned, vxlan-<vni> unicast with local and proxy (arp_responder), MTU of the network', () => {
  const p = portId();
  const d = computeDesiredL2(cfg(), [dev({ port_id: p })]);
  assert.deepEqual(plain(d), {
    bridges: [[bridgeName(NET_VX), {
      name: bridgeName(NET_VX), networkId: NET_VX, owned: true,
      uplink: { kind: 'vxlan', name: 'vxlan-1588', vni: 1588, dev: 'eth1', dstport: 4789, proxy: true, mtu: 1450, local: '172.31.255.1' },
    }]],
    taps: [[`tap${p.slice(0, 11)}`, { name: `tap${p.slice(0, 11)}`, portId: p, networkId: NET_VX, bridge: bridgeName(NET_VX), enslave: false, mtu: 1450, up: true }]],
    unwirable: [],
  });
});

test('vxlan multicast (no l2population): group per VNI from vxlan_group, no local, no proxy; ttl/tos when set; kernel default port when unset', () => {
  const c = cfg({ vxlan: { ...VXLAN_CFG, l2Population: false, arpResponder: true, group: '239.1.0.0/16', ttl: 7, tos: 16, dstport: null } });
  const d = computeDesiredL2(c, [dev({ port_id: portId(), segmentation_id: 1588 })]);
  const up = d.bridges.get(bridgeName(NET_VX))?.uplink;
  assert.deepEqual(up, { kind: 'vxlan', name: 'vxlan-1588', vni: 1588, dev: 'eth1', dstport: 8472, proxy: false, mtu: 1450, group: '239.1.6.52', ttl: 7, tos: 16 });
});

test('vxlan network on an agent without VXLAN: unwirable', () => {
  const p = portId();
  const d = computeDesiredL2(cfg({ vxlan: undefined }), [dev({ port_id: p })]);
  assert.equal(d.bridges.size, 0);
  assert.equal(d.taps.size, 0);
  assert.deepEqual([...d.unwirable], [[`tap${p.slice(0, 11)}`, 'VXLAN is not enabled on this agent']]);
});

test('flat: brq bridge enslaving the mapped interface; vlan: <phys>.<vid>; local: a bare brq bridge', () => {
  const pf = portId(); const pv = portId(); const pl = portId();
  const d = computeDesiredL2(cfg(), [
    dev({ port_id: pf, network_id: NET_FLAT, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, mtu: 1500, device_owner: 'network:router_gateway' }),
    dev({ port_id: pv, network_id: NET_VLAN, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100, mtu: 1500 }),
    dev({ port_id: pl, network_id: NET_LOCAL, network_type: 'local', segmentation_id: null, mtu: null, device_owner: 'network:dhcp' }),
  ]);
  assert.deepEqual(d.bridges.get(bridgeName(NET_FLAT)), { name: bridgeName(NET_FLAT), networkId: NET_FLAT, owned: true, uplink: { kind: 'physical', name: 'eth2' } });
  assert.deepEqual(d.bridges.get(bridgeName(NET_VLAN)), { name: bridgeName(NET_VLAN), networkId: NET_VLAN, owned: true, uplink: { kind: 'vlan', name: 'eth2.100', parent: 'eth2', vlanId: 100 } });
  assert.deepEqual(d.bridges.get(bridgeName(NET_LOCAL)), { name: bridgeName(NET_LOCAL), networkId: NET_LOCAL, owned: true });
  assert.equal(d.taps.get(`tap${pl.slice(0, 11)}`)?.mtu, null);
  assert.equal(d.unwirable.size, 0);
});

test('vlan on a long interface name: hashed subinterface name within 15 chars', () => {
  const p = portId();
  const d = computeDesiredL2(cfg(), [dev({ port_id: p, network_id: NET_VLAN, network_type: 'vlan', physical_network: 'longnet', segmentation_id: 1111 })]);
  const up = d.bridges.get(bridgeName(NET_VLAN))?.uplink;
  assert.equal(up?.kind, 'vlan');
  assert.equal(up?.name, vlanSubinterfaceName('enp0s31f6abcde', 1111));
  assert.ok(up!.name.length <= 15);
});

test('vlan id outside 1..4094: unwirable', () => {
  const p = portId();
  const d = computeDesiredL2(cfg(), [dev({ port_id: p, network_id: NET_VLAN, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 5000 })]);
  assert.deepEqual([...d.unwirable.values()], ['VLAN id 5000 out of range']);
  assert.equal(d.bridges.size, 0);
});

test('bridge_mappings: the mapped bridge is used as is (not owned, no uplink) for flat, vlan and local', () => {
  for (const [type, seg] of [['flat', null], ['vlan', 200], ['local', null]] as const) {
    const p = portId();
    const d = computeDesiredL2(cfg(), [dev({ port_id: p, network_id: NET_FLAT, network_type: type, physical_network: 'provider', segmentation_id: seg, device_owner: 'network:dhcp' })]);
    assert.deepEqual([...d.bridges.values()], [{ name: 'br-provider', networkId: NET_FLAT, owned: false }], type);
    assert.deepEqual(d.taps.get(`tap${p.slice(0, 11)}`)?.bridge, 'br-provider');
    assert.equal(d.taps.get(`tap${p.slice(0, 11)}`)?.enslave, true);
  }
});

test('compute:* taps are left to Nova (enslave false); network-owned taps (dhcp, router) are enslaved; admin state and MTU carried', () => {
  const owners = ['compute:nova', 'compute:az1', 'network:dhcp', 'network:router_interface', 'network:router_gateway', ''];
  const ids = owners.map(() => portId());
  const d = computeDesiredL2(cfg(), owners.map((o, i) => dev({ port_id: ids[i]!, device_owner: o, admin_state_up: i % 2 === 0, mtu: 1400 })));
  assert.deepEqual(ids.map((p) => d.taps.get(`tap${p.slice(0, 11)}`)?.enslave), [false, false, true, true, true, true]);
  assert.deepEqual(ids.map((p) => d.taps.get(`tap${p.slice(0, 11)}`)?.up), [true, false, true, false, true, false]);
  assert.ok(ids.every((p) => d.taps.get(`tap${p.slice(0, 11)}`)?.mtu === 1400));
  assert.equal(d.bridges.size, 1, 'all on one network, one bridge');
});

test('no mapping for the physical network: unwirable with Python\'s message; no physical_network at all: unwirable', () => {
  const p1 = portId(); const p2 = portId(); const p3 = portId();
  const d = computeDesiredL2(cfg(), [
    dev({ port_id: p1, network_id: NET_FLAT, network_type: 'flat', physical_network: 'nowhere', segmentation_id: null }),
    dev({ port_id: p2, network_id: NET_VLAN, network_type: 'vlan', physical_network: 'nowhere', segmentation_id: 10 }),
    dev({ port_id: p3, network_id: NET_PHYS2, network_type: 'flat', physical_network: null, segmentation_id: null }),
  ]);
  assert.equal(d.unwirable.get(`tap${p1.slice(0, 11)}`), 'No bridge or interface mappings for physical network nowhere');
  assert.equal(d.unwirable.get(`tap${p2.slice(0, 11)}`), 'No bridge or interface mappings for physical network nowhere');
  assert.equal(d.unwirable.get(`tap${p3.slice(0, 11)}`), 'flat network without physical_network');
  assert.equal(d.bridges.size, 0);
  assert.equal(d.taps.size, 0);
});

test('two networks mapped to one bridge: the second network\'s taps are unwirable, the first keeps the bridge', () => {
  const a = portId(); const b = portId(); const c = portId();
  const devices = [
    dev({ port_id: a, network_id: NET_FLAT, network_type: 'flat', physical_network: 'provider', segmentation_id: null }),
    dev({ port_id: b, network_id: NET_PHYS2, network_type: 'vlan', physical_network: 'provider', segmentation_id: 30 }),
    dev({ port_id: c, network_id: NET_FLAT, network_type: 'flat', physical_network: 'provider', segmentation_id: null }),
  ];
  const d = computeDesiredL2(cfg(), devices);
  assert.deepEqual([...d.bridges.values()], [{ name: 'br-provider', networkId: NET_FLAT, owned: false }]);
  assert.deepEqual([...d.taps.keys()].sort(), [`tap${a.slice(0, 11)}`, `tap${c.slice(0, 11)}`].sort());
  assert.deepEqual([...d.unwirable], [[`tap${b.slice(0, 11)}`, `bridge br-provider already serves network ${NET_FLAT}`]]);
});

test('order independence: the same devices in any order give deepEqual desired state (incl. a bridge conflict)', () => {
  const devices = [
    dev({ port_id: portId(), mac_address: 'fa:16:3e:00:00:11' }),
    dev({ port_id: portId(), device_owner: 'network:dhcp' }),
    dev({ port_id: portId(), network_id: NET_VX2, segmentation_id: 77, mtu: 1400 }),
    dev({ port_id: portId(), network_id: NET_FLAT, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, mtu: 1500, device_owner: 'network:router_gateway' }),
    dev({ port_id: portId(), network_id: NET_VLAN, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100 }),
    dev({ port_id: portId(), network_id: NET_LOCAL, network_type: 'local', segmentation_id: null }),
    dev({ port_id: portId(), network_id: NET_PHYS2, network_type: 'flat', physical_network: 'provider', segmentation_id: null }),
    dev({ port_id: portId(), network_id: NET_FLAT, network_type: 'flat', physical_network: 'provider', segmentation_id: null }),
    dev({ port_id: portId(), network_id: NET_VLAN, network_type: 'vlan', physical_network: 'nowhere', segmentation_id: 100 }),
  ];
  const all = orders(devices).map((o) => plain(computeDesiredL2(cfg(), o)));
  for (const r of all.slice(1)) assert.deepEqual(r, all[0]);
  // Also with an iterable that is not an array (a Map's values, as the agent passes).
  assert.deepEqual(plain(computeDesiredL2(cfg(), new Map(devices.reverse().map((x) => [x.device, x])).values())), all[0]);
  assert.equal(all[0]!.unwirable.length, 2);
});

test('sequence of snapshots: the result depends only on the last one', () => {
  const a = dev({ port_id: portId() });
  const b = dev({ port_id: portId(), network_id: NET_VX2, segmentation_id: 9 });
  const c = dev({ port_id: portId(), network_id: NET_FLAT, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null });
  const final = [b, c];
  const fresh = plain(computeDesiredL2(cfg(), final));
  for (const history of [[[a], [a, b], final], [[a, b, c], [c], final], [[], final]]) {
    let last;
    for (const snap of history) last = plain(computeDesiredL2(cfg(), snap));
    assert.deepEqual(last, fresh);
  }
});

test('vxlanGroup: single address and CIDRs', () => {
  assert.equal(vxlanGroup('224.0.0.1', 5), '224.0.0.1');
  assert.equal(vxlanGroup('224.0.0.1/32', 16777215), '224.0.0.1');
  assert.equal(vxlanGroup('239.1.0.0/16', 1588), '239.1.6.52');
  assert.equal(vxlanGroup('239.1.2.3/24', 300), '239.1.2.44');
  assert.equal(vxlanGroup('239.0.0.0/8', 16777215), '239.255.255.255');
});

const GROUP_CASES: Array<[string, number]> = [
  ['224.0.0.1', 5], ['224.0.0.1', 1588], ['239.1.0.0/16', 1588], ['239.1.2.3/24', 300], ['239.0.0.0/8', 16777215],
  ['224.0.0.0/4', 123456], ['239.255.0.0/20', 65535], ['230.10.20.30/30', 7], ['239.1.1.1/31', 2], ['225.0.0.0/12', 1048577],
];

test('vxlanGroup agrees with Python (netaddr, as get_vxlan_group computes it)', (t) => {
  const code = `import json, netaddr\ncases = ${JSON.stringify(GROUP_CASES)}\nout = []\nfor g, v in cases:\n    net = netaddr.IPNetwork(g)\n    out.append(str(net.network + (int(v) & int(net.hostmask))))\nprint(json.dumps(out))`;
  const r = python(code);
  if (!r.ok) { console.log(`# skipping: python/netaddr unavailable: ${r.reason}`); t.skip(`python/netaddr unavailable: ${r.reason}`); return; }
  assert.deepEqual(GROUP_CASES.map(([g, v]) => vxlanGroup(g, v)), r.value);
});

const SUBIF_CASES: Array<[string, number]> = [
  ['eth0', 1], ['eth0', 4094], ['eth2', 100], ['bond0', 999], ['enp0s31f6', 1111], ['mix_interface', 1], ['mix_interface', 11],
  ['mix_interface', 1111], ['enp0s31f6abcde', 100], ['enp0s31f6abcde', 4094], ['enp0s31f6longname', 100], ['averyverylongifname', 4094], ['ten_chars_', 4094], ['eleven_char', 4094],
];

test('vlanSubinterfaceName: short names kept, long ones hashed like neutron (backward-compatible mix)', () => {
  assert.equal(vlanSubinterfaceName('eth0', 1), 'eth0.1');
  assert.equal(vlanSubinterfaceName('mix_interface', 1), 'mix_interface.1');
  assert.match(vlanSubinterfaceName('mix_interface', 1111), /^mix_[0-9a-f]{6}\.1111$/);
  for (const [p, v] of SUBIF_CASES) assert.ok(vlanSubinterfaceName(p, v).length <= 15, `${p}.${v}`);
});

test('vlanSubinterfaceName agrees with Python\'s LinuxBridgeManager.get_subinterface_name', (t) => {
  const code = `import json\nfrom neutron.plugins.ml2.drivers.linuxbridge.agent.linuxbridge_neutron_agent import LinuxBridgeManager as M\ncases = ${JSON.stringify(SUBIF_CASES)}\nprint(json.dumps([M.get_subinterface_name(p, v) for p, v in cases]))`;
  const r = python(code);
  if (!r.ok) { console.log(`# skipping: neutron's linuxbridge agent not importable: ${r.reason}`); t.skip(`neutron's linuxbridge agent not importable: ${r.reason}`); return; }
  assert.deepEqual(SUBIF_CASES.map(([p, v]) => vlanSubinterfaceName(p, v)), r.value);
});
