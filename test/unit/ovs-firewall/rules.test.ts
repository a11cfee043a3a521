/** Security group rules → flows in tables 72/82, one test per rule kind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderOvsFirewall } from '../../../agents/ovs/firewall/render.js';
import type { SgInfo, SgRule } from '../../../shared/firewall/types.js';
import { inTable, MAC2, onePort, P1, P2, SG, SG2, sgPort, wired } from './fixtures.js';

const ruleFlows = (rules: SgRule[], table: number, info = {}): string[] =>
  inTable(renderOvsFirewall(onePort(rules, {}, info)).flows, table).filter((l) => /priority=7\d,/.test(l));

test('ingress rule: accept established-not-reply, commit new in the zone from reg6, output to the port', () => {
  assert.deepEqual(ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' }], 82), [
    'table=82,priority=75,ct_state=+est-rel-rpl,reg5=3,ip,nw_proto=1 actions=output:3',
    'table=82,priority=75,ct_state=+new-est,reg5=3,ip,nw_proto=1 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
  ]);
});

test('egress rule: table 72, on to table 73 (which commits or hands over to the local destination)', () => {
  assert.deepEqual(ruleFlows([{ direction: 'egress', ethertype: 'IPv6' }], 72), [
    'table=72,priority=74,ct_state=+est-rel-rpl,reg5=3,ipv6 actions=resubmit(,73)',
    'table=72,priority=74,ct_state=+new-est,reg5=3,ipv6 actions=resubmit(,73)',
  ]);
});

test('ICMP type and code: icmp_type/icmp_code, more specific rules get higher priority', () => {
  const flows = ruleFlows([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 3, port_range_max: 4 },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128, port_range_max: 0 },
  ], 82).filter((l) => l.includes('+new-est'));
  assert.deepEqual(flows, [
    'table=82,priority=77,ct_state=+new-est,reg5=3,ip,nw_proto=1,icmp_type=3,icmp_code=4 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
    'table=82,priority=77,ct_state=+new-est,reg5=3,ipv6,nw_proto=58,icmp_type=128,icmp_code=0 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
    'table=82,priority=76,ct_state=+new-est,reg5=3,ip,nw_proto=1,icmp_type=8 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
  ]);
});

test('TCP/UDP/SCTP port ranges: Neutron\'s value/mask expansion, source × destination', () => {
  const tcp = ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 40, port_range_max: 105 }], 82).filter((l) => l.includes('+new-est'));
  assert.deepEqual(tcp.map((l) => /tcp_dst=([^ ,]+)/.exec(l)?.[1]), ['0x0028/0xfff8', '0x0030/0xfff0', '0x0040/0xffe0', '0x0060/0xfff8', '0x0068/0xfffe']);
  assert.ok(tcp.every((l) => l.includes('priority=77,') && l.includes('nw_proto=6')));

  const udp = ruleFlows([{ direction: 'egress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 53, port_range_max: 53, source_port_range_min: 1024, source_port_range_max: 2047 }], 72);
  assert.deepEqual(udp, [
    'table=72,priority=77,ct_state=+est-rel-rpl,reg5=3,ip,nw_proto=17,udp_src=0x0400/0xfc00,udp_dst=0x0035 actions=resubmit(,73)',
    'table=72,priority=77,ct_state=+new-est,reg5=3,ip,nw_proto=17,udp_src=0x0400/0xfc00,udp_dst=0x0035 actions=resubmit(,73)',
  ]);

  const sctp = ruleFlows([{ direction: 'ingress', ethertype: 'IPv6', protocol: 'sctp', port_range_min: 9 }], 82);
  assert.ok(sctp.every((l) => l.includes('ipv6,nw_proto=132,sctp_dst=0x0009')), sctp.join('\n'));

  // OVS cannot match DCCP ports: Python's firewall drops the ports and keeps the protocol.
  const dccp = ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'dccp', port_range_min: 9, port_range_max: 9 }], 82);
  assert.ok(dccp.length === 2 && dccp.every((l) => /,nw_proto=33 actions=/.test(l)), dccp.join('\n'));
});

test('remote IP prefixes: source for ingress, destination for egress, as OVS prints them; /0 adds nothing', () => {
  const f = ruleFlows([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, source_ip_prefix: '192.0.2.77/24' },
    { direction: 'egress', ethertype: 'IPv6', dest_ip_prefix: '2001:db8:0::5/128' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', source_ip_prefix: '0.0.0.0/0' },
  ], 82).concat(ruleFlows([{ direction: 'egress', ethertype: 'IPv6', dest_ip_prefix: '2001:db8:0::5/128' }], 72));
  assert.ok(f.some((l) => l.includes('ip,nw_src=192.0.2.0/24,nw_proto=6,tcp_dst=0x0016')), f.join('\n'));
  assert.ok(f.some((l) => l.includes('table=82,priority=77,ct_state=+new-est,reg5=3,ip,nw_proto=17 ')), f.join('\n'));
  assert.ok(f.some((l) => l.includes('table=72,priority=74,ct_state=+new-est,reg5=3,ipv6,ipv6_dst=2001:db8::5 ')), f.join('\n'));
});

/** Conjunction ids (in `conjunction(N,k/2)`, `conj_id=N`, `set_field:N`) written as `C+<N − the lowest id's block start>`, for stable assertions. */
function named(lines: string[]): string[] {
  const ids = [...new Set(lines.flatMap((l) => [...l.matchAll(/(?:conjunction\(|conj_id=|set_field:)(\d+)/g)].map((m) => Number(m[1]))))].sort((a, b) => a - b);
  const base = ids.length > 0 ? (ids[0] as number) - ((ids[0] as number) % 8) : 0;
  return lines.map((l) => l.replace(/(conjunction\(|conj_id=|set_field:)(\d+)/g, (_, pre: string, id: string) => `${pre}C+${Number(id) - base}`));
}

const conjLines = (flows: ReturnType<typeof renderOvsFirewall>['flows'], table: number): string[] => inTable(flows, table).filter((l) => /priority=7[0-3],/.test(l));

test('remote_group_id: a conjunction: the rule on the port (2/2), the members on the network (1/2), conj_id accepts with the id in reg7', () => {
  const info = {
    sg_member_ips: {
      [SG2]: { IPv4: [['10.0.0.9', MAC2], ['10.0.1.0/24', null], ['10.0.0.9', MAC2]], IPv6: [['2001:db8::9', MAC2]] },
    },
  } as const;
  const r = renderOvsFirewall(onePort([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: SG2 }], {}, structuredClone(info) as never));
  assert.deepEqual(r.problems, []);
  // TCP with a port: offset 3, priority 73, ids block + 6 (established) and + 7 (new).
  assert.deepEqual(named(conjLines(r.flows, 82)), [
    'table=82,priority=73,conj_id=C+6,ct_state=+est-rel-rpl,reg5=3,ip actions=set_field:C+6->reg7,output:3',
    'table=82,priority=73,conj_id=C+7,ct_state=+new-est,reg5=3,ip actions=set_field:C+7->reg7,ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
    'table=82,priority=73,ct_state=+est-rel-rpl,reg5=3,ip,nw_proto=6,tcp_dst=0x0016 actions=conjunction(C+6,2/2)',
    'table=82,priority=73,ct_state=+est-rel-rpl,reg6=7,ip,nw_src=10.0.0.9 actions=conjunction(C+6,1/2)',
    'table=82,priority=73,ct_state=+est-rel-rpl,reg6=7,ip,nw_src=10.0.1.0/24 actions=conjunction(C+6,1/2)',
    'table=82,priority=73,ct_state=+new-est,reg5=3,ip,nw_proto=6,tcp_dst=0x0016 actions=conjunction(C+7,2/2)',
    'table=82,priority=73,ct_state=+new-est,reg6=7,ip,nw_src=10.0.0.9 actions=conjunction(C+7,1/2)',
    'table=82,priority=73,ct_state=+new-est,reg6=7,ip,nw_src=10.0.1.0/24 actions=conjunction(C+7,1/2)',
  ]);
  // The member flows are the network's, the rest the port's.
  assert.deepEqual(r.networks.map((n) => [n.zone, n.flows.length]), [[7, 4]]);
  assert.equal(r.ports[0]?.conjIds.length, 2);
  assert.ok(r.networks[0]?.flows.every((f) => f.match.includes('reg6=7,')));
});

test('remote group: no members, no member flows (nothing feeds the conjunction); a /0 member is matched by its MAC; address groups work the same', () => {
  const none = renderOvsFirewall(onePort([{ direction: 'ingress', ethertype: 'IPv4', remote_group_id: SG2 }]));
  assert.deepEqual(none.networks, []);
  assert.ok(conjLines(none.flows, 82).every((l) => /conj_id=|conjunction\(\d+,2\/2\)/.test(l)));
  const info: Partial<SgInfo> = { sg_member_ips: { 'ag-1': { IPv4: [['0.0.0.0/0', MAC2], ['0.0.0.0/0', 'not a mac']], IPv6: [] } } };
  const inF = renderOvsFirewall(onePort([{ direction: 'ingress', ethertype: 'IPv4', remote_address_group_id: 'ag-1' }], {}, info));
  assert.deepEqual(inF.networks[0]?.flows.map((f) => f.match), [
    'ct_state=+est-rel-rpl,reg6=7,dl_src=fa:16:3e:00:00:02,ip',
    'ct_state=+new-est,reg6=7,dl_src=fa:16:3e:00:00:02,ip',
  ]);
  const outF = renderOvsFirewall(onePort([{ direction: 'egress', ethertype: 'IPv4', remote_address_group_id: 'ag-1' }], {}, info));
  assert.ok(outF.networks[0]?.flows.every((f) => f.table === 72 && f.match.includes(`dl_dst=${MAC2}`)), JSON.stringify(outF.networks));
  // An address group's /0 without a MAC: every source.
  const any = renderOvsFirewall(onePort([{ direction: 'ingress', ethertype: 'IPv4', remote_address_group_id: 'ag-2' }], {}, { sg_member_ips: { 'ag-2': { IPv4: [['0.0.0.0/0', null]], IPv6: [] } } }));
  assert.deepEqual(any.networks[0]?.flows.map((f) => f.match), ['ct_state=+est-rel-rpl,reg6=7,ip', 'ct_state=+new-est,reg6=7,ip']);
});

test('shared matches merge: two rules with one match and different remote groups make one 2/2 flow; a member of both groups one 1/2 flow', () => {
  const ssh = { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } as const;
  const info = { sg_member_ips: { [SG2]: { IPv4: [['10.0.0.9', MAC2]], IPv6: [] }, 'ag-1': { IPv4: [['10.0.0.9', null], ['10.0.0.10', null]], IPv6: [] } } };
  const r = renderOvsFirewall(onePort([{ ...ssh, remote_group_id: SG2 }, { ...ssh, remote_address_group_id: 'ag-1' }], {}, info as never));
  const lines = conjLines(r.flows, 82).filter((l) => l.includes('+new-est'));
  const twoOfTwo = lines.filter((l) => l.includes('2/2'));
  assert.equal(twoOfTwo.length, 1, lines.join('\n'));
  assert.match(twoOfTwo[0] ?? '', /actions=conjunction\((\d+),2\/2\),conjunction\((\d+),2\/2\)$/);
  const shared = lines.filter((l) => l.includes('nw_src=10.0.0.9 '));
  assert.equal(shared.length, 1);
  assert.match(shared[0] ?? '', /actions=conjunction\(\d+,1\/2\),conjunction\(\d+,1\/2\)$/);
  assert.equal(lines.filter((l) => l.includes('nw_src=10.0.0.10 ') && (l.match(/conjunction/g) ?? []).length === 1).length, 1);
  assert.equal(lines.filter((l) => l.includes('conj_id=')).length, 2);
});

test('member flows are per network: ports on two VLANs naming one group get one set each; ports of one VLAN share theirs', () => {
  const input = onePort([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: SG2 }], {}, { sg_member_ips: { [SG2]: { IPv4: [['10.0.0.9', MAC2]], IPv6: [] } } });
  input.sg.devices[P2] = sgPort(P2, MAC2, '10.0.0.2');
  input.sg.devices['port-3'] = sgPort('port-3', 'fa:16:3e:00:00:03', '10.0.0.3');
  input.ports.push(wired(P2, 4, MAC2), wired('port-3', 5, 'fa:16:3e:00:00:03', { localVlan: 8 }));
  const r = renderOvsFirewall(input);
  assert.deepEqual(r.networks.map((n) => [n.zone, n.flows.length]), [[7, 2], [8, 2]]);
  // One conjunction for the rule: the same ids on every port.
  assert.deepEqual(new Set(r.ports.map((p) => JSON.stringify(p.conjIds))).size, 1);
});

test('stateless port with a remote group: conjunction flows without ct_state, ids apart from the stateful ones', () => {
  const rules: SgRule[] = [
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: SG2, stateful: false },
    { direction: 'egress', ethertype: 'IPv4', stateful: false },
  ];
  const info = { sg_member_ips: { [SG2]: { IPv4: [['10.0.0.9', MAC2]], IPv6: [] } } };
  const r = renderOvsFirewall(onePort(rules, {}, info as never));
  assert.equal(r.ports[0]?.stateless, true);
  assert.deepEqual(named(conjLines(r.flows, 82)), [
    'table=82,priority=71,conj_id=C+2,reg5=3,ip actions=set_field:C+2->reg7,output:3',
    'table=82,priority=71,reg5=3,ip,nw_proto=1 actions=conjunction(C+2,2/2)',
    'table=82,priority=71,reg6=7,ip,nw_src=10.0.0.9 actions=conjunction(C+2,1/2)',
  ]);
  const stateful = renderOvsFirewall(onePort(rules.map((x) => ({ ...x, stateful: true })), {}, info as never));
  assert.equal(stateful.ports[0]?.conjIds.filter((id) => r.ports[0]?.conjIds.includes(id)).length, 0);
});

test('stateless group (stateful=false): rules without conntrack, and no conntrack-state flows for the port', () => {
  const r = renderOvsFirewall(onePort([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', stateful: false },
    { direction: 'egress', ethertype: 'IPv4', stateful: false },
  ]));
  assert.equal(r.ports[0]?.stateless, true);
  assert.deepEqual(inTable(r.flows, 82), [
    'table=82,priority=75,reg5=3,ip,nw_proto=1 actions=output:3',
    'table=82,priority=50,ct_state=+trk+inv actions=resubmit(,93)',
    'table=82,priority=0 actions=drop',
  ]);
  assert.deepEqual(inTable(r.flows, 72), [
    'table=72,priority=74,reg5=3,ip actions=resubmit(,73)',
    'table=72,priority=50,ct_state=+trk+inv actions=resubmit(,93)',
    'table=72,priority=0 actions=drop',
  ]);
  assert.ok(inTable(r.flows, 71).some((l) => l.includes('priority=65') && l.endsWith('actions=resubmit(,72)')));
  assert.ok(!inTable(r.flows, 73).some((l) => l.includes('ct(commit')));
  // A packet a stateful local sender already tracked is committed for the sender's sake.
  assert.ok(inTable(r.flows, 81).includes('table=81,priority=90,ct_state=+trk,reg5=3,ip actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,82)'));
  assert.ok(inTable(r.flows, 81).includes('table=81,priority=85,reg5=3,ip actions=resubmit(,82)'));
});

test('stateful and stateless groups on one port: filtered statefully, reported', () => {
  const input = onePort([{ direction: 'egress', ethertype: 'IPv4' }], { security_groups: [SG, SG2] });
  input.sg.security_groups[SG2] = [{ direction: 'ingress', ethertype: 'IPv4', stateful: false }];
  const r = renderOvsFirewall(input);
  assert.equal(r.ports[0]?.stateless, false);
  assert.deepEqual(r.problems.map((p) => p.path), [`ports.${P1}`]);
});

test('malformed rules are skipped with a reason, once per group rule; the other rules still render', () => {
  const rules: SgRule[] = [
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'bogus' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 90, port_range_max: 80 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 300 },
    { direction: 'ingress', ethertype: 'IPv4', remote_group_id: SG2, source_ip_prefix: '10.0.0.0/8' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp' },
  ];
  const input = onePort(rules);
  // A second port in the same group: each bad rule is still reported once.
  input.sg.devices[P2] = sgPort(P2, MAC2, '10.0.0.2');
  input.ports.push(wired(P2, 4, MAC2));
  const r = renderOvsFirewall(input);
  assert.deepEqual(r.problems.map((p) => p.path), [0, 1, 2, 3].map((i) => `security_groups.${SG}[${i}]`));
  assert.match(r.problems[0]?.reason ?? '', /unknown protocol "bogus"/);
  assert.match(r.problems[1]?.reason ?? '', /max is smaller than min/);
  assert.match(r.problems[2]?.reason ?? '', /out of range/);
  assert.match(r.problems[3]?.reason ?? '', /remote group together with a remote IP prefix/);
  for (const ofport of [3, 4]) {
    assert.ok(inTable(r.flows, 82).some((l) => l.startsWith(`table=82,priority=77,ct_state=+new-est,reg5=${ofport},ip,nw_proto=17 `)));
    assert.equal(inTable(r.flows, 82).filter((l) => l.includes(`reg5=${ofport},`) && /priority=7\d/.test(l)).length, 2);
  }
});
