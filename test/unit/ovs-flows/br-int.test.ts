/**
 * br-int flows against what Neutron Zed's OVS agent installs (native driver). The
 * expected lines are derived by hand from the Python, cited per flow; the real-OVS
 * test (test/integration/ovs/flows-neutron.test.ts) checks the same against Neutron's
 * code itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBrIntFlows, FlowInputError } from '../../../agents/ovs/flows/index.js';
import { brInt, LV_FLAT, LV_VLAN, LV_VX, NET_FLAT, lines, port } from './fixtures.js';

// br_int.py setup_default_table, in our (table, priority desc, match) order.
const DEFAULTS_T0_LOW = 'table=0,priority=0,actions=resubmit(,59)'; // install_goto(dest=PACKET_RATE_LIMIT)
const DEFAULTS_REST = [
  'table=23,priority=0,actions=drop', // setup_canary_table
  'table=24,priority=0,actions=drop', // install_drop(ARP_SPOOF_TABLE)
  'table=30,priority=0,actions=resubmit(,59)', // local IP defaults: LOCAL_EGRESS → PACKET_RATE_LIMIT
  'table=31,priority=0,actions=resubmit(,59)', // LOCAL_IP → PACKET_RATE_LIMIT
  'table=59,priority=0,actions=resubmit(,60)', // PACKET_RATE_LIMIT → TRANSIENT
  'table=60,priority=3,actions=NORMAL', // install_normal(TRANSIENT_TABLE, priority=3)
  'table=62,priority=3,actions=NORMAL', // install_normal(TRANSIENT_EGRESS_TABLE, priority=3)
];
// install_drop(LOCAL_SWITCHING, OPENFLOW_MAX_PRIORITY, vlan_vid=OFPVID_PRESENT|DEAD_VLAN_TAG)
const DEAD_VLAN = 'table=0,priority=65535,dl_vlan=4095,actions=drop';

test('no ports, no physnets: just setup_default_table', () => {
  assert.deepEqual(lines(renderBrIntFlows(brInt({ physPatchOfports: new Map(), localVlans: [] }))), [DEAD_VLAN, DEFAULTS_T0_LOW, ...DEFAULTS_REST]);
});

test('physnet patch: drop by default, flat and vlan networks translated to their local VLAN; vxlan/local need nothing', () => {
  assert.deepEqual(lines(renderBrIntFlows(brInt())), [
    DEAD_VLAN,
    // provision_local_vlan(port=int_ofport, lvid, segmentation_id): match in_port +
    // vlan_vid (seg|OFPVID_PRESENT, or OFPVID_NONE for flat) at priority 3,
    // [push_vlan,] set_field vlan_vid=lvid, goto PACKET_RATE_LIMIT.
    'table=0,priority=3,in_port=2,dl_vlan=100,actions=mod_vlan_vid:3,resubmit(,59)',
    'table=0,priority=3,in_port=2,vlan_tci=0x0000/0x1fff,actions=mod_vlan_vid:2,resubmit(,59)',
    // setup_physical_bridges: int_br.drop_port(in_port=int_ofport) (priority 2)
    'table=0,priority=2,in_port=2,actions=drop',
    DEFAULTS_T0_LOW,
    ...DEFAULTS_REST,
  ]);
});

test('a flat/vlan network whose physnet has no patch here gets no flows (Python logs and skips)', () => {
  const f = lines(renderBrIntFlows(brInt({ physPatchOfports: new Map([['other', 7]]), localVlans: [LV_FLAT, LV_VLAN] })));
  assert.ok(!f.some((l) => l.includes('mod_vlan_vid')));
  assert.ok(f.includes('table=0,priority=2,in_port=7,actions=drop'));
});

test('admin-down ports and deadOfports get port_dead\'s priority-2 drop; nothing else per port with the OVS firewall', () => {
  const up = port({ ofport: 20 });
  const down = port({ ofport: 21, adminStateUp: false, localVlan: 4095 });
  const f = lines(renderBrIntFlows(brInt({ ports: [up, down], deadOfports: [22], physPatchOfports: new Map(), localVlans: [LV_VX] })));
  assert.deepEqual(f, [DEAD_VLAN, 'table=0,priority=2,in_port=21,actions=drop', 'table=0,priority=2,in_port=22,actions=drop', DEFAULTS_T0_LOW, ...DEFAULTS_REST]);
});

test('preventArpSpoofing without the OVS firewall: ARP, NA and MAC anti-spoofing per port (setup_arp_spoofing_protection)', () => {
  const p = port({
    ofport: 30,
    mac: 'FA:16:3E:AA:00:01', // normalised to lower case, as OVS prints it
    fixedIps: ['10.0.0.30', '2001:db8::30'],
    allowedAddressPairs: [
      { ipAddress: '10.0.9.7/24', macAddress: 'fa:16:3e:aa:00:02' }, // a network: masked match on its network address
      { ipAddress: '10.0.9.8/24', macAddress: 'fa:16:3e:aa:00:01' }, // same network, same MAC: no duplicates
    ],
  });
  const f = lines(renderBrIntFlows(brInt({ ports: [p], preventArpSpoofing: true, firewallEnabled: false, physPatchOfports: new Map(), localVlans: [LV_VX] })));
  assert.deepEqual(f, [
    DEAD_VLAN,
    // install_arp_spoofing_protection / install_icmpv6_na_spoofing_protection: ARP and
    // NA (icmpv6_type=136) from the port go to ARP_SPOOF_TABLE at priority 10.
    'table=0,priority=10,arp,in_port=30,actions=resubmit(,24)',
    'table=0,priority=10,icmp6,in_port=30,icmp_type=136,actions=resubmit(,24)',
    // set_allowed_macs_for_port: everything else from the port → MAC_SPOOF_TABLE, prio 9
    'table=0,priority=9,in_port=30,actions=resubmit(,25)',
    DEFAULTS_T0_LOW,
    'table=23,priority=0,actions=drop',
    // allowed ARP senders → MAC_SPOOF_TABLE; CIDRs as OVS prints the masked value
    'table=24,priority=2,arp,in_port=30,arp_spa=10.0.0.30,actions=resubmit(,25)',
    'table=24,priority=2,arp,in_port=30,arp_spa=10.0.9.0/24,actions=resubmit(,25)',
    // allowed NA targets → PACKET_RATE_LIMIT: fixed IPv6 + the EUI-64 LLA of every allowed MAC
    'table=24,priority=2,icmp6,in_port=30,icmp_type=136,nd_target=2001:db8::30,actions=resubmit(,59)',
    'table=24,priority=2,icmp6,in_port=30,icmp_type=136,nd_target=fe80::f816:3eff:feaa:1,actions=resubmit(,59)',
    'table=24,priority=2,icmp6,in_port=30,icmp_type=136,nd_target=fe80::f816:3eff:feaa:2,actions=resubmit(,59)',
    'table=24,priority=0,actions=drop',
    // allowed source MACs → LOCAL_EGRESS_TABLE
    'table=25,priority=2,in_port=30,dl_src=fa:16:3e:aa:00:01,actions=resubmit(,30)',
    'table=25,priority=2,in_port=30,dl_src=fa:16:3e:aa:00:02,actions=resubmit(,30)',
    ...DEFAULTS_REST.slice(2),
  ]);
});

test('anti-spoofing skipped: with the OVS firewall, without the flag, port security off, network: owners, admin-down', () => {
  const count = (f: string[]): number => f.filter((l) => /in_port=(4\d)\b/.test(l) && !l.includes('priority=2,in_port=4')).length;
  const secured = port({ ofport: 40 });
  assert.equal(count(lines(renderBrIntFlows(brInt({ ports: [secured], preventArpSpoofing: true, firewallEnabled: true })))), 0);
  assert.equal(count(lines(renderBrIntFlows(brInt({ ports: [secured], firewallEnabled: false })))), 0);
  const flags = { preventArpSpoofing: true, firewallEnabled: false };
  assert.equal(count(lines(renderBrIntFlows(brInt({ ...flags, ports: [port({ ofport: 41, portSecurityEnabled: false })] })))), 0);
  assert.equal(count(lines(renderBrIntFlows(brInt({ ...flags, ports: [port({ ofport: 42, deviceOwner: 'network:dhcp' })] })))), 0);
  assert.equal(count(lines(renderBrIntFlows(brInt({ ...flags, ports: [port({ ofport: 43, adminStateUp: false })] })))), 0);
  assert.ok(count(lines(renderBrIntFlows(brInt({ ...flags, ports: [secured] })))) > 0);
});

test('anti-spoofing quirks: an IPv4 /0 pair drops the ARP and NA parts, an IPv6 ::/0 only the NA part, no IPv4 still traps ARP', () => {
  const flags = { preventArpSpoofing: true, firewallEnabled: false, physPatchOfports: new Map<string, number>(), localVlans: [LV_VX] };
  const perPort = (f: string[]): string[] => f.filter((l) => l.includes('in_port=50'));
  const v4any = perPort(lines(renderBrIntFlows(brInt({ ...flags, ports: [port({ ofport: 50, allowedAddressPairs: [{ ipAddress: '0.0.0.0/0', macAddress: 'fa:16:3e:00:00:99' }] })] }))));
  assert.deepEqual(v4any.filter((l) => l.includes('arp') || l.includes('icmp6')), []);
  assert.equal(v4any.filter((l) => l.startsWith('table=25,')).length, 2);
  const v6any = perPort(lines(renderBrIntFlows(brInt({ ...flags, ports: [port({ ofport: 50, allowedAddressPairs: [{ ipAddress: '::/0', macAddress: '' }] })] }))));
  assert.equal(v6any.filter((l) => l.includes('icmp6')).length, 0);
  assert.equal(v6any.filter((l) => l.includes('arp')).length, 2);
  const v6only = perPort(lines(renderBrIntFlows(brInt({ ...flags, ports: [port({ ofport: 50, fixedIps: ['2001:db8::5'] })] }))));
  assert.ok(v6only.includes('table=0,priority=10,arp,in_port=50,actions=resubmit(,24)'));
  assert.equal(v6only.filter((l) => l.includes('arp_spa')).length, 0);
});

test('output is sorted and independent of input order', () => {
  const a = port({ ofport: 60 });
  const b = port({ ofport: 61, adminStateUp: false });
  const flags = { preventArpSpoofing: true, firewallEnabled: false };
  const one = renderBrIntFlows(brInt({ ...flags, ports: [a, b], physPatchOfports: new Map([['physnet1', 2], ['physnet2', 3]]) }));
  const two = renderBrIntFlows(brInt({ ...flags, ports: [b, a], physPatchOfports: new Map([['physnet2', 3], ['physnet1', 2]]), localVlans: brInt().localVlans.slice().reverse() }));
  assert.deepEqual(one, two);
  for (let i = 1; i < one.length; i++) {
    const [p, c] = [one[i - 1]!, one[i]!];
    assert.ok(p.table < c.table || (p.table === c.table && p.priority >= c.priority), `${JSON.stringify(p)} before ${JSON.stringify(c)}`);
  }
});

test('nonsense input is refused with a FlowInputError naming the field', () => {
  const bad: Array<[string, Parameters<typeof brInt>[0]]> = [
    ['localVlans[0].localVlan', { localVlans: [{ ...LV_VX, localVlan: 0 }] }],
    ['localVlans[0].localVlan', { localVlans: [{ ...LV_VX, localVlan: 4095 }] }],
    ['localVlans[0].localVlan', { localVlans: [{ ...LV_VX, localVlan: 4096 }] }],
    ['localVlans[0].segmentationId', { localVlans: [{ ...LV_VLAN, segmentationId: 4096 }] }],
    ['localVlans[0].segmentationId', { localVlans: [{ ...LV_VX, segmentationId: 0 }] }],
    ['localVlans[0].segmentationId', { localVlans: [{ ...LV_VX, segmentationId: 0x1000000 }] }],
    ['localVlans[0].segmentationId', { localVlans: [{ ...LV_FLAT, segmentationId: 5 }] }],
    ['localVlans[0].physicalNetwork', { localVlans: [{ ...LV_FLAT, physicalNetwork: undefined }] }],
    ['localVlans[1].localVlan', { localVlans: [LV_VX, { ...LV_FLAT, localVlan: LV_VX.localVlan }] }],
    ['localVlans[1].networkId', { localVlans: [LV_FLAT, { ...LV_VLAN, networkId: NET_FLAT }] }],
    ['localVlans[1].physicalNetwork', { localVlans: [LV_FLAT, { ...LV_FLAT, networkId: LV_VX.networkId, localVlan: 9 }] }],
    ['localVlans[0].networkType', { localVlans: [{ ...LV_VX, networkType: 'gre' as 'vxlan' }] }],
    ['localVlans[0].networkId', { localVlans: [{ ...LV_VX, networkId: 'net-1' }] }],
    ['ports[0].ofport', { ports: [port({ ofport: 0 })] }],
    ['ports[0].ofport', { ports: [port({ ofport: 65280 })] }],
    ['ports[0].ofport', { ports: [port({ ofport: 2 })] }], // already physnet1's patch port
    ['ports[0].mac', { ports: [port({ mac: 'fa:16:3e:00:00' })] }],
    ['ports[0].device', { ports: [port({ device: 'tap with space' })] }],
    ['ports[0].localVlan', { ports: [port({ localVlan: 0 })] }],
    ['ports[0].fixedIps[0]', { ports: [port({ fixedIps: ['10.0.0.300'] })] }],
    ['ports[0].fixedIps[0]', { ports: [port({ fixedIps: ['10.0.0.3/24'] })] }],
    ['ports[0].allowedAddressPairs[0].ipAddress', { ports: [port({ allowedAddressPairs: [{ ipAddress: '10.0.0.0/33', macAddress: '' }] })] }],
    ['ports[0].allowedAddressPairs[0].macAddress', { ports: [port({ allowedAddressPairs: [{ ipAddress: '10.0.0.9', macAddress: 'zz' }] })] }],
    ['ports[0].adminStateUp', { ports: [port({ adminStateUp: 'yes' as unknown as boolean })] }],
    ['patchTunOfport', { patchTunOfport: -1 }],
    ['physPatchOfports["physnet1"]', { physPatchOfports: new Map([['physnet1', 1]]) }], // patch-tun's ofport
    ['deadOfports[0]', { deadOfports: [1.5] }],
    ['firewallEnabled', { firewallEnabled: undefined as unknown as boolean }],
  ];
  for (const [field, over] of bad) {
    assert.throws(() => renderBrIntFlows(brInt(over)), (err: unknown) => err instanceof FlowInputError && err.field === field, `${field}: ${JSON.stringify(over, (_k, v: unknown) => (v instanceof Map ? [...v] : v))}`);
  }
});
