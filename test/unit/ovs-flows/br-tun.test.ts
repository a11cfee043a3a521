/**
 * br-tun flows against what Neutron Zed's OVS agent installs (native driver,
 * br_tun.py + ovs_neutron_agent.py), derived by hand and cited per flow; the real-OVS
 * comparison with Neutron's own code is test/integration/ovs/flows-neutron.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBrTunFlows, FlowInputError, l2popFdbFromTable } from '../../../agents/ovs/flows/index.js';
import type { L2popFdb } from '../../../agents/ovs/model.js';
import { brTun, LV_FLAT, LV_VX, LV_VX2, NET_VX, NET_VX2, TUNNELS, VTEP_B, VTEP_C, VTEP_LOCAL, lines } from './fixtures.js';

const LEARN = 'learn(table=20,hard_timeout=300,priority=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[])';
const FLOOD = '01:00:00:00:00:00/01:00:00:00:00:00';
const UCAST = '00:00:00:00:00:00/01:00:00:00:00:00';
const ZERO: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];

test('no l2pop: setup_default_table, tunnel ports → 4, per network tun_id → local VLAN and flooding to every tunnel', () => {
  assert.deepEqual(lines(renderBrTunFlows(brTun({ localVlans: [LV_VX, LV_FLAT] }))), [
    // setup_default_table: install_goto(dest=PATCH_LV_TO_TUN, priority=1, in_port=patch_int_ofport)
    'table=0,priority=1,in_port=1,actions=resubmit(,2)',
    // setup_tunnel_port('vxlan', ofport): install_goto(dest=VXLAN_TUN_TO_LV, priority=1, in_port)
    'table=0,priority=1,in_port=2,actions=resubmit(,4)',
    'table=0,priority=1,in_port=3,actions=resubmit(,4)',
    'table=0,priority=0,actions=drop', // install_drop()
    // PATCH_LV_TO_TUN: unicast → UCAST_TO_TUN, multicast/broadcast → FLOOD_TO_TUN
    `table=2,priority=0,dl_dst=${UCAST},actions=resubmit(,20)`,
    `table=2,priority=0,dl_dst=${FLOOD},actions=resubmit(,22)`,
    'table=3,priority=0,actions=drop', // install_drop(TUN_TABLE[gre|vxlan|geneve])
    // provision_local_vlan: match tunnel_id, push_vlan + set vlan_vid=lvid, goto LEARN_FROM_TUN
    'table=4,priority=1,tun_id=0x4d,actions=mod_vlan_vid:1,resubmit(,10)',
    'table=4,priority=0,actions=drop',
    'table=6,priority=0,actions=drop',
    // LEARN_FROM_TUN: learn into UCAST_TO_TUN (priority 1, hard_timeout 300), output patch-int
    `table=10,priority=1,actions=${LEARN},output:1`,
    'table=20,priority=0,actions=resubmit(,22)', // unknown unicast is flooded
    // install_flood_to_tun(lvid, seg, every tunnel ofport): pop_vlan, tunnel_id, outputs
    'table=22,priority=1,dl_vlan=1,actions=strip_vlan,load:0x4d->NXM_NX_TUN_ID[],output:2,output:3',
    'table=22,priority=0,actions=drop',
  ]);
});

test('no tunnels yet: no flooding flow (Python installs install_flood_to_tun only with ofports)', () => {
  const f = lines(renderBrTunFlows(brTun({ tunnels: [], localVlans: [LV_VX] })));
  assert.ok(!f.some((l) => l.startsWith('table=22,priority=1')));
  assert.ok(f.includes('table=4,priority=1,tun_id=0x4d,actions=mod_vlan_vid:1,resubmit(,10)'));
});

test('l2pop + arp_responder: flooding to the VTEPs with the flooding entry, unicast per MAC, ARP answers per IPv4', () => {
  const fdb: L2popFdb = new Map([
    [NET_VX, new Map([
      [VTEP_C, [ZERO, ['fa:16:3e:00:0c:01', '10.0.0.21'], ['fa:16:3e:00:0c:02', '2001:db8::21']]],
      [VTEP_B, [ZERO, ['FA:16:3E:00:0B:01', '10.0.0.11']]],
      [VTEP_LOCAL, [ZERO, ['fa:16:3e:00:aa:01', '10.0.0.1']]], // our own VTEP: ignored (fdb_add pops local_ip)
      ['10.250.0.9', [ZERO, ['fa:16:3e:00:09:01', '10.0.0.91']]], // no tunnel port yet: skipped
    ])],
    [NET_VX2, new Map([[VTEP_B, [['fa:16:3e:00:0b:02', '10.1.0.11']]]])], // no flooding entry: no flood flow
  ]);
  const f = lines(renderBrTunFlows(brTun({ localVlans: [LV_VX, LV_VX2], l2Population: true, arpResponder: true, fdb })));
  const perNet = f.filter((l) => /^table=(2|20|21|22),priority=[12],/.test(l));
  assert.deepEqual(perNet, [
    // setup_default_table with arp_responder_enabled: ARP broadcasts → ARP_RESPONDER
    'table=2,priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff,actions=resubmit(,21)',
    // add_fdb_flow → install_unicast_to_tun(lvid, seg, ofport, mac): priority 2
    'table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:0b:01,actions=strip_vlan,load:0x4d->NXM_NX_TUN_ID[],output:2',
    'table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:0c:01,actions=strip_vlan,load:0x4d->NXM_NX_TUN_ID[],output:3',
    'table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:0c:02,actions=strip_vlan,load:0x4d->NXM_NX_TUN_ID[],output:3',
    'table=20,priority=2,dl_vlan=5,dl_dst=fa:16:3e:00:0b:02,actions=strip_vlan,load:0x1234->NXM_NX_TUN_ID[],output:2',
    // setup_entry_for_arp_reply → install_arp_responder (IPv4 only), match vlan + arp_tpa
    'table=21,priority=1,arp,dl_vlan=1,arp_tpa=10.0.0.11,actions=load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0xfa163e000b01->NXM_NX_ARP_SHA[],load:0xa00000b->NXM_OF_ARP_SPA[],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:fa:16:3e:00:0b:01,IN_PORT',
    'table=21,priority=1,arp,dl_vlan=1,arp_tpa=10.0.0.21,actions=load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0xfa163e000c01->NXM_NX_ARP_SHA[],load:0xa000015->NXM_OF_ARP_SPA[],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:fa:16:3e:00:0c:01,IN_PORT',
    'table=21,priority=1,arp,dl_vlan=5,arp_tpa=10.1.0.11,actions=load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0xfa163e000b02->NXM_NX_ARP_SHA[],load:0xa01000b->NXM_OF_ARP_SPA[],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:fa:16:3e:00:0b:02,IN_PORT',
    // FLOODING_ENTRY → lvm.tun_ofports, install_flood_to_tun(lvid, seg, tun_ofports)
    'table=22,priority=1,dl_vlan=1,actions=strip_vlan,load:0x4d->NXM_NX_TUN_ID[],output:2,output:3',
  ]);
  assert.ok(f.includes('table=21,priority=0,actions=resubmit(,22)')); // unanswered ARP is flooded
});

test('arp_responder without l2pop is off, as in Python (arp_responder_enabled = arp_responder and l2_pop)', () => {
  const f = lines(renderBrTunFlows(brTun({ localVlans: [LV_VX], arpResponder: true })));
  assert.ok(!f.some((l) => l.startsWith('table=21,') || l.includes('resubmit(,21)')));
});

test('the same MAC (or IP) behind two VTEPs: the lowest VTEP address wins, whatever the order', () => {
  const mac = 'fa:16:3e:00:77:77';
  const a: L2popFdb = new Map([[NET_VX, new Map([[VTEP_C, [[mac, '10.0.0.7']]], [VTEP_B, [[mac, '10.0.0.7']]]] as Array<[string, Array<[string, string]>]>)]]);
  const b: L2popFdb = new Map([[NET_VX, new Map([...a.get(NET_VX)!].reverse())]]);
  const input = { localVlans: [LV_VX], l2Population: true, arpResponder: true };
  const fa = lines(renderBrTunFlows(brTun({ ...input, fdb: a })));
  assert.deepEqual(fa, lines(renderBrTunFlows(brTun({ ...input, fdb: b }))));
  assert.ok(fa.includes(`table=20,priority=2,dl_vlan=1,dl_dst=${mac},actions=strip_vlan,load:0x4d->NXM_NX_TUN_ID[],output:2`));
  assert.equal(fa.filter((l) => l.startsWith('table=21,priority=1')).length, 1);
});

test('learnCookie goes into the learn action (Python uses the agent cookie there)', () => {
  const f = lines(renderBrTunFlows(brTun({ localVlans: [], learnCookie: 0xdeadbeefn })));
  assert.ok(f.some((l) => l.startsWith('table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0xdeadbeef,NXM_OF_VLAN_TCI')));
});

test('l2popFdbFromTable adapts the agents\' l2pop table', () => {
  const fdb = l2popFdbFromTable(new Map([[NET_VX, new Map([[VTEP_B, new Set(['00:00:00:00:00:00|0.0.0.0', 'fa:16:3e:00:0b:01|10.0.0.11'])]])]]));
  assert.deepEqual([...fdb.get(NET_VX)!.get(VTEP_B)!], [ZERO, ['fa:16:3e:00:0b:01', '10.0.0.11']]);
});

test('deterministic: shuffled tunnels, networks and fdb give the same flows', () => {
  const fdb: L2popFdb = new Map([[NET_VX, new Map([[VTEP_B, [ZERO, ['fa:16:3e:00:0b:01', '10.0.0.11']]], [VTEP_C, [ZERO]]])]]);
  const rev: L2popFdb = new Map([[NET_VX, new Map([[VTEP_C, [ZERO]], [VTEP_B, [['fa:16:3e:00:0b:01', '10.0.0.11'], ZERO]]])]]);
  const a = renderBrTunFlows(brTun({ localVlans: [LV_VX, LV_VX2], l2Population: true, arpResponder: true, fdb }));
  const b = renderBrTunFlows(brTun({ localVlans: [LV_VX2, LV_VX], tunnels: [...TUNNELS].reverse(), l2Population: true, arpResponder: true, fdb: rev }));
  assert.deepEqual(a, b);
});

test('nonsense input is refused with a FlowInputError naming the field', () => {
  const bad: Array<[string, Parameters<typeof brTun>[0]]> = [
    ['patchIntOfport', { patchIntOfport: 0 }],
    ['tunnels[1].ofport', { tunnels: [TUNNELS[0]!, { ...TUNNELS[1]!, ofport: 2 }] }],
    ['tunnels[0].ofport', { tunnels: [{ ...TUNNELS[0]!, ofport: 1 }] }], // patch-int's
    ['tunnels[0].remoteIp', { tunnels: [{ ...TUNNELS[0]!, remoteIp: VTEP_LOCAL }] }],
    ['tunnels[0].remoteIp', { tunnels: [{ ...TUNNELS[0]!, remoteIp: '2001:db8::2' }] }],
    ['tunnels[0].remoteIp', { tunnels: [{ ...TUNNELS[0]!, remoteIp: '10.250.0' }] }],
    ['tunnels[1].remoteIp', { tunnels: [TUNNELS[0]!, { ...TUNNELS[1]!, remoteIp: VTEP_B }] }],
    ['tunnels[0].name', { tunnels: [{ ...TUNNELS[0]!, name: 'gre-0afa0002' }] }],
    ['localIp', { localIp: 'me' }],
    ['localVlans[0].localVlan', { localVlans: [{ ...LV_VX, localVlan: 4096 }] }],
    ['localVlans[1].segmentationId', { localVlans: [LV_VX, { ...LV_VX2, segmentationId: LV_VX.segmentationId }] }],
    ['l2Population', { l2Population: 1 as unknown as boolean }],
    ['learnCookie', { learnCookie: 0n }],
    ['learnCookie', { learnCookie: 1n << 64n }],
    [`fdb["${NET_VX}"]["${VTEP_B}"][0][0]`, { fdb: new Map([[NET_VX, new Map([[VTEP_B, [['fa:16:3e', '10.0.0.1']]]])]]) }],
    [`fdb["${NET_VX}"]["${VTEP_B}"][0][1]`, { fdb: new Map([[NET_VX, new Map([[VTEP_B, [['fa:16:3e:00:00:01', 'x']]]])]]) }],
    [`fdb["${NET_VX}"]["nowhere"] (key)`, { fdb: new Map([[NET_VX, new Map([['nowhere', []]])]]) }],
    ['fdb["net"] (key)', { fdb: new Map([['net', new Map()]]) }],
  ];
  for (const [field, over] of bad) {
    assert.throws(() => renderBrTunFlows(brTun(over)), (err: unknown) => err instanceof FlowInputError && err.field === field, field);
  }
});
