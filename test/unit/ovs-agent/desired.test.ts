import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateLocalVlans } from '../../../agents/ovs/local-vlans.js';
import { interfaceName, isTunnelPortName, tunnelPortName } from '../../../agents/ovs/names.js';
import { computeDesiredOvs, type OvsAgentConfig, type PluggedPort } from '../../../agents/ovs/desired.js';
import { planOvsdbCommands } from '../../../agents/ovs/plan-ovsdb.js';
import { emptyObserved, type ObservedOvs } from '../../../agents/ovs/observed.js';
import { parsePortDetails, type PortFacts } from '../../../agents/ovs/port-facts.js';

const NET_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const NET_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const P1 = '11111111-0000-4000-8000-000000000001';
const P2 = '22222222-0000-4000-8000-000000000002';
const P3 = '33333333-0000-4000-8000-000000000003';

const config: OvsAgentConfig = {
  integrationBridge: 'br-int', tunnelBridge: 'br-tun', intPeerPatchPort: 'patch-tun', tunPeerPatchPort: 'patch-int',
  datapathType: 'netdev', bridgeMappings: { physnet1: 'br-ex' }, tunnelTypes: ['vxlan'], localIp: '10.0.0.1',
  vxlanUdpPort: 4789, dontFragment: true, tunnelCsum: false, l2Population: false, arpResponder: false, firewallDriver: 'openvswitch',
};

function facts(portId: string, networkId: string, over: Partial<PortFacts> = {}): PortFacts {
  return {
    portId, networkId, mac: 'fa:16:3e:00:00:01', adminStateUp: true, networkType: 'vxlan', segmentationId: 100, physicalNetwork: undefined, mtu: 1450,
    fixedIps: ['10.1.0.5'], allowedAddressPairs: [], portSecurityEnabled: true, securityGroupIds: [], deviceOwner: 'compute:nova', ...over,
  };
}

function observedWith(ports: Array<{ name: string; bridge: string; tag?: number; otherConfig?: Record<string, string>; ofport?: number; type?: string; options?: Record<string, string>; externalIds?: Record<string, string>; vlanMode?: string; trunks?: number[] }>, bridges: string[] = ['br-int', 'br-tun', 'br-ex']): ObservedOvs {
  const o = emptyObserved();
  for (const b of bridges) o.bridges.set(b, { name: b, datapathType: 'netdev', failMode: b === 'br-ex' ? undefined : 'secure', ports: [] });
  for (const p of ports) {
    const iface = { name: p.name, ofport: p.ofport, type: p.type ?? '', externalIds: p.externalIds ?? {}, options: p.options ?? {}, error: undefined };
    o.interfaces.set(p.name, iface);
    o.ports.set(p.name, { name: p.name, bridge: p.bridge, tag: p.tag, vlanMode: p.vlanMode, trunks: p.trunks ?? [], otherConfig: p.otherConfig ?? {}, interfaces: [iface] });
    o.bridges.get(p.bridge)?.ports.push(p.name);
  }
  return o;
}

test('local VLANs: existing assignments survive, new networks take the lowest free id', () => {
  const r = allocateLocalVlans([NET_B, NET_A, 'n3'], new Map([[NET_B, 1], ['gone', 2]]));
  assert.equal(r.vlans.get(NET_B), 1);
  assert.equal(r.vlans.get(NET_A), 3, 'VLAN 2 still held by a network whose ports may be on the bridge');
  assert.equal(r.vlans.get('n3'), 4);
  assert.deepEqual(r.exhausted, []);
});

test('local VLANs: a duplicate id in OVSDB is given to one network only', () => {
  const r = allocateLocalVlans([NET_A, NET_B], new Map([[NET_A, 5], [NET_B, 5]]));
  assert.equal(r.vlans.get(NET_A), 5);
  assert.notEqual(r.vlans.get(NET_B), 5);
});

test('names: Neutron tunnel and patch port names', () => {
  assert.equal(tunnelPortName('vxlan', '192.168.1.10'), 'vxlan-c0a8010a');
  assert.ok(isTunnelPortName('vxlan-c0a8010a', 'vxlan'));
  assert.ok(!isTunnelPortName('vxlan-mine', 'vxlan'));
  assert.equal(interfaceName('br-ex', 'int-'), 'int-br-ex');
  const long = interfaceName('br-provider-long', 'phy-');
  assert.equal(long.length, 15);
  assert.ok(long.startsWith('phy-br-pr'));
});

test('desired: bridges, patches, tags and tunnels (no l2pop: full mesh from tunnel_sync)', () => {
  const observed = observedWith([
    { name: 'tap1', bridge: 'br-int', ofport: 5, externalIds: { 'iface-id': P1 } },
    { name: 'tap2', bridge: 'br-int', ofport: 6, externalIds: { 'iface-id': P2 } },
  ]);
  const plugged: PluggedPort[] = [
    { name: 'tap1', portId: P1, ofport: 5, facts: facts(P1, NET_A) },
    { name: 'tap2', portId: P2, ofport: 6, facts: undefined, missing: 'unknown to the server' },
  ];
  const d = computeDesiredOvs(config, observed, plugged, new Set(['10.0.0.2', '10.0.0.1']), new Map());
  assert.deepEqual(d.bridges.map((b) => b.name), ['br-int', 'br-tun']);
  assert.ok(d.patches.some((p) => p.bridge === 'br-int' && p.port === 'patch-tun' && p.peer === 'patch-int'));
  assert.ok(d.patches.some((p) => p.bridge === 'br-ex' && p.port === 'phy-br-ex' && p.peer === 'int-br-ex'));
  assert.deepEqual(d.tunnels.map((t) => t.name), ['vxlan-0a000002'], 'our own VTEP is never a tunnel');
  assert.equal(d.tunnels[0]?.options['remote_ip'], '10.0.0.2');
  assert.equal(d.portTags.get('tap1')?.tag, 1);
  assert.equal(d.portTags.get('tap1')?.otherConfig['net_uuid'], NET_A);
  assert.equal(d.portTags.get('tap2')?.tag, 4095, 'unknown port is cut off with the dead VLAN');
  assert.equal(d.wired.length, 1);
  assert.equal(d.unwirable.get(P2), 'unknown to the server');
});

test('desired: l2pop makes tunnels only to VTEPs with ports of local networks; admin-down is dead', () => {
  const observed = observedWith([]);
  const fdb = new Map([[NET_A, new Map([['10.0.0.3', new Set(['00:00:00:00:00:00|0.0.0.0'])]])], [NET_B, new Map([['10.0.0.4', new Set(['fa:16:3e:00:00:09|10.2.0.9'])]])]]);
  const d = computeDesiredOvs({ ...config, l2Population: true }, observed, [
    { name: 'tap1', portId: P1, ofport: 5, facts: facts(P1, NET_A) },
    { name: 'tap3', portId: P3, ofport: 7, facts: facts(P3, NET_A, { adminStateUp: false }) },
  ], new Set(['10.0.0.2']), fdb);
  assert.deepEqual(d.tunnels.map((t) => t.remoteIp), ['10.0.0.3']);
  assert.equal(d.portTags.get('tap3')?.tag, 4095);
  assert.deepEqual(d.wired.map((w) => w.portId), [P1]);
});

test('desired: flat network on an unmapped or missing bridge is unwirable', () => {
  const observed = observedWith([], ['br-int', 'br-tun']);
  const d = computeDesiredOvs(config, observed, [{ name: 'tap1', portId: P1, ofport: 5, facts: facts(P1, NET_A, { networkType: 'flat', segmentationId: undefined, physicalNetwork: 'physnet1' }) }], new Set(), new Map());
  assert.match(d.unwirable.get(P1) ?? '', /physnet1/);
  assert.ok(d.problems.some((p) => p.includes('br-ex')));
});

test('desired: a restart keeps each network on its VLAN (read back from other_config)', () => {
  const observed = observedWith([{ name: 'tap1', bridge: 'br-int', ofport: 5, tag: 7, otherConfig: { net_uuid: NET_A, tag: '7' }, externalIds: { 'iface-id': P1 } }]);
  const d = computeDesiredOvs(config, observed, [{ name: 'tap1', portId: P1, ofport: 5, facts: facts(P1, NET_A) }], new Set(), new Map());
  assert.equal(d.portTags.get('tap1')?.tag, 7);
});

test('plan: a fresh node gets bridges, patches, tunnel and tags in one command list; a converged node gets none', () => {
  const observed = observedWith([{ name: 'tap1', bridge: 'br-int', ofport: 5, externalIds: { 'iface-id': P1 } }], ['br-int', 'br-ex']);
  observed.bridges.get('br-int')!.failMode = undefined;
  const d = computeDesiredOvs(config, observed, [{ name: 'tap1', portId: P1, ofport: 5, facts: facts(P1, NET_A) }], new Set(['10.0.0.2']), new Map());
  const cmds = planOvsdbCommands({ desired: d, observed, tunnelBridge: 'br-tun', sweepTunnels: true });
  assert.ok(cmds.some((c) => c.cmd === 'add-br' && c.bridge === 'br-tun'));
  assert.ok(cmds.some((c) => c.cmd === 'set' && c.table === 'Bridge' && c.record === 'br-int' && c.values['fail_mode'] === 'secure'));
  assert.ok(cmds.some((c) => c.cmd === 'add-port' && c.port === 'vxlan-0a000002' && c.iface?.['options:remote_ip'] === '10.0.0.2'));
  assert.ok(cmds.some((c) => c.cmd === 'set' && c.table === 'Port' && c.record === 'tap1' && c.values['tag'] === 1));

  // Converged.
  const conv = observedWith([
    { name: 'tap1', bridge: 'br-int', ofport: 5, tag: 1, otherConfig: d.portTags.get('tap1')!.otherConfig, externalIds: { 'iface-id': P1 } },
    { name: 'patch-tun', bridge: 'br-int', ofport: 1, type: 'patch', options: { peer: 'patch-int' } },
    { name: 'patch-int', bridge: 'br-tun', ofport: 1, type: 'patch', options: { peer: 'patch-tun' } },
    { name: 'int-br-ex', bridge: 'br-int', ofport: 2, type: 'patch', options: { peer: 'phy-br-ex' } },
    { name: 'phy-br-ex', bridge: 'br-ex', ofport: 1, type: 'patch', options: { peer: 'int-br-ex' } },
    { name: 'vxlan-0a000002', bridge: 'br-tun', ofport: 2, type: 'vxlan', options: d.tunnels[0]!.options },
    { name: 'vxlan-0a000009', bridge: 'br-tun', ofport: 3, type: 'vxlan', options: { remote_ip: '10.0.0.9' } },
    { name: 'their-port', bridge: 'br-tun', ofport: 4 },
  ]);
  const d2 = computeDesiredOvs(config, conv, [{ name: 'tap1', portId: P1, ofport: 5, facts: facts(P1, NET_A) }], new Set(['10.0.0.2']), new Map());
  const cmds2 = planOvsdbCommands({ desired: d2, observed: conv, tunnelBridge: 'br-tun', sweepTunnels: true });
  assert.deepEqual(cmds2, [{ cmd: 'del-port', bridge: 'br-tun', port: 'vxlan-0a000009', ifExists: true }], 'only the stale tunnel port goes; a foreign port stays');
  assert.deepEqual(planOvsdbCommands({ desired: d2, observed: conv, tunnelBridge: 'br-tun', sweepTunnels: false }), []);
});

test('plan: a port plugged on the dead VLAN in trunk mode becomes an access port of its VLAN', () => {
  const observed = observedWith([{ name: 'tap1', bridge: 'br-int', ofport: 5, tag: 4095, vlanMode: 'trunk', trunks: [4095], externalIds: { 'iface-id': P1 } }]);
  const d = computeDesiredOvs(config, observed, [{ name: 'tap1', portId: P1, ofport: 5, facts: facts(P1, NET_A) }], new Set(), new Map());
  const cmds = planOvsdbCommands({ desired: d, observed, tunnelBridge: 'br-tun', sweepTunnels: false }).filter((c) => 'record' in c && c.record === 'tap1');
  assert.deepEqual(cmds.map((c) => c.cmd === 'clear' ? `clear ${c.column}` : c.cmd), ['set', 'clear vlan_mode', 'clear trunks']);
});

test('port facts: server details parsed; malformed ones rejected with a reason', () => {
  const ok = parsePortDetails({ device: P1, port_id: P1, network_id: NET_A, mac_address: 'FA:16:3E:00:00:01', admin_state_up: true, network_type: 'vxlan', segmentation_id: 5, physical_network: null, mtu: 1450, fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.5' }], device_owner: 'compute:nova', allowed_address_pairs: [{ ip_address: '10.0.0.99' }], security_groups: ['sg1'] });
  assert.equal(ok.kind, 'port');
  if (ok.kind === 'port') {
    assert.equal(ok.facts.mac, 'fa:16:3e:00:00:01');
    assert.deepEqual(ok.facts.fixedIps, ['10.0.0.5']);
    assert.deepEqual(ok.facts.allowedAddressPairs, [{ ipAddress: '10.0.0.99', macAddress: 'fa:16:3e:00:00:01' }]);
    assert.equal(ok.facts.portSecurityEnabled, true);
  }
  assert.equal(parsePortDetails({ device: P1 }).kind, 'unknown');
  assert.equal(parsePortDetails({ device: P1, no_active_binding: true }).kind, 'no_active_binding');
  assert.equal(parsePortDetails({ device: P1, port_id: P1, network_id: NET_A, mac_address: 'x', network_type: 'vxlan' }).kind, 'invalid');
  assert.equal(parsePortDetails({ device: P1, port_id: P1, network_id: NET_A, mac_address: 'fa:16:3e:00:00:01', network_type: 'gre', segmentation_id: 1 }).kind, 'invalid');
});
